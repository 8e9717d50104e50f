namespace Vae.Core.Recommendation;

/// <summary>One recommended item, named by its id in the model's catalogue (<see cref="VaeRecommender.ItemIds"/>).</summary>
/// <param name="ItemId">The item's original id.</param>
/// <param name="Score">The model's score of the item (for Mult-VAE, a logit of the multinomial); higher is better.</param>
public sealed record ItemRecommendation(string ItemId, float Score);
