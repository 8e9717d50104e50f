namespace Vae.AnomalyDetection;

/// <summary>What one held-out digit gave: how well the score ranks it above the normal digits, and the thresholded verdict.</summary>
/// <param name="Digit">The digit left out of training; its test digits are the anomalies.</param>
/// <param name="Auroc">ROC AUC of the score over the whole test set, the held-out digit being the positive class.</param>
/// <param name="NormalTestLoss">Mean negative ELBO of the normal (held-in) test digits, nats per image.</param>
/// <param name="HeldOutTestLoss">Mean negative ELBO of the held-out digit's test digits, nats per image.</param>
/// <param name="Threshold">The percentile of the validation half's scores above which a digit is flagged.</param>
/// <param name="DetectionRate">The share of the held-out digit's test digits scoring above the threshold.</param>
/// <param name="FalsePositiveRate">The share of the other half of the normal test digits scoring above the threshold.</param>
/// <param name="Anomalies">Test digits of the held-out class.</param>
/// <param name="ValidationDigits">Normal test digits the threshold was fitted on.</param>
/// <param name="CheckDigits">Normal test digits the false-positive rate was measured on.</param>
/// <param name="Seconds">Wall time of training and scoring.</param>
/// <param name="Picture">The PNG of the highest- and lowest-scoring test digits.</param>
internal sealed record HoldOutResult(
    int Digit,
    double Auroc,
    double NormalTestLoss,
    double HeldOutTestLoss,
    double Threshold,
    double DetectionRate,
    double FalsePositiveRate,
    int Anomalies,
    int ValidationDigits,
    int CheckDigits,
    double Seconds,
    string Picture);
