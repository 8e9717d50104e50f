namespace Vae.Service;

/// <summary>A request the service cannot serve as sent; answered with HTTP 400 and this message.</summary>
internal sealed class BadInputException(string message) : Exception(message);
