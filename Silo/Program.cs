using ReHome.Silo;

var builder = WebApplication.CreateBuilder(args);
builder.AddReHomeSilo();

var app = builder.Build();
app.MapGet("/health", () => Results.Ok("live"));
app.Run();
