// A .NET backend streaming an answer with the producer SDK: the README's snippet, as a program.
//   dotnet run --project examples/dotnet-producer -- --Redis:ConnectionString=localhost:6379
// Needs the silos running against that Redis (deploy/local-cluster.sh start).
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ReHome;
using ReHome.Producer;

var builder = Host.CreateApplicationBuilder(args);
var redis = builder.Configuration["Redis:ConnectionString"] ?? "localhost:6379";
var threadId = builder.Configuration["ThreadId"] ?? "thread-42";

// <producer-sdk>
builder.UseOrleansClient(client => client
    .UseRedisClustering(redis)      // the silos' Redis (package Microsoft.Orleans.Clustering.Redis)
    .AddReHomeClient());            // cluster and service ids "rehome", 3 s response timeout, the thread streams
builder.Services.AddReHomeProducer();

using var host = builder.Build();
await host.StartAsync();
var producer = host.Services.GetRequiredService<IStreamProducer>();

// the successor of StreamingService
await producer.ConfigureThreadAsync(threadId, new ThreadAccess(null, null, "alice", ["bob"]));   // who may watch
var streamId = await producer.StartStreamAsync(threadId, "run-1");      // makes an id when none is given
await producer.StreamTokenAsync(streamId, "Hello ");                      // → 1
await producer.StreamTokenAsync(streamId, "World!");                      // → 2
var ended = await producer.EndStreamAsync(streamId, "Hello World!");      // → true; again → false

var stopped = await producer.StartStreamAsync(threadId, "run-2");
await producer.CancelAsync(stopped, "user pressed stop");                 // → true
// </producer-sdk>

Console.WriteLine($"stream {streamId}: ended {ended}, again {await producer.EndStreamAsync(streamId)}");
await host.StopAsync();
