// Temporary entry point: renders demo pictures until the MNIST console replaces it.
Vae.Mnist.RenderingDemo.Run(args);
