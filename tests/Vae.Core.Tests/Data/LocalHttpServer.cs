using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Vae.Core.Tests.Data;

/// <summary>How a <see cref="LocalHttpServer"/> answers a request for a file it has.</summary>
internal enum ServerBehavior
{
    /// <summary>200 with the file.</summary>
    Serve,

    /// <summary>200 with the file's length but one byte changed.</summary>
    Corrupt,

    /// <summary>200 announcing the full length, then half the bytes, then the connection is closed.</summary>
    DropHalfway,

    /// <summary>404 for everything.</summary>
    NotFound,
}

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 serving files under <c>/mnist/</c>; a raw socket rather than HttpListener,
/// so it can cut a response off in the middle of its body.
/// </summary>
internal sealed class LocalHttpServer : IDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly IReadOnlyDictionary<string, byte[]> files;
    private readonly ServerBehavior behavior;
    private readonly Task loop;

    public LocalHttpServer(IReadOnlyDictionary<string, byte[]> files, ServerBehavior behavior)
    {
        this.files = files;
        this.behavior = behavior;
        listener.Start();
        BaseUri = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/mnist/");
        loop = Task.Run(AcceptAsync);
    }

    public Uri BaseUri { get; }

    /// <summary>The file names requested so far, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
        try
        {
            loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(client));
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var request = await ReadHeadAsync(stream);
                var target = request.Split(' ') is [_, var path, ..] ? path : "";
                var name = target[(target.LastIndexOf('/') + 1)..];
                Requests.Enqueue(name);
                if (behavior == ServerBehavior.NotFound || !files.TryGetValue(name, out var body))
                {
                    await WriteAsync(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    return;
                }
                if (behavior == ServerBehavior.Corrupt)
                {
                    body = (byte[])body.Clone();
                    body[body.Length / 2] ^= 0xff;
                }
                await WriteAsync(stream,
                    $"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
                var sent = behavior == ServerBehavior.DropHalfway ? body.Length / 2 : body.Length;
                await stream.WriteAsync(body.AsMemory(0, sent), stop.Token);
                await stream.FlushAsync(stop.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // The client went away (e.g. it cancelled); nothing to answer.
            }
        }
    }

    private async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && head.Length < 8192)
        {
            if (await stream.ReadAsync(one, stop.Token) == 0) break;
            head.Append((char)one[0]);
        }
        return head.ToString();
    }

    private Task WriteAsync(NetworkStream stream, string text) =>
        stream.WriteAsync(Encoding.ASCII.GetBytes(text), stop.Token).AsTask();
}
