using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
using ReHome.Gateway;
using ReHome.Gateway.Auth;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

/// <summary>
/// Tokens from an OpenID Connect issuer (<c>Auth:Authority</c>): its signing keys come from its metadata, served here
/// by a stand-in issuer on loopback, and its RS256 tokens are accepted besides the shared key's HS256 ones.
/// </summary>
[Collection(EdgeGatewayCollection.Name)]
public sealed class AuthorityTests(EdgeGatewayFixture gateway)
{
    [Fact]
    public async Task A_user_signed_in_at_the_issuer_watches_their_thread()
    {
        var user = "oidc-" + Guid.NewGuid().ToString("N");
        var threadId = await gateway.NewThread(user);
        var received = new TaskCompletionSource<TokenMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var connection = gateway.ConnectionWithToken(() => gateway.Issuer.Token(user));
        connection.On<TokenMessage>(HubContract.TokenEvent, m => received.TrySetResult(m));
        await connection.StartAsync();

        await connection.InvokeAsync<ThreadStream[]>(HubContract.JoinThread, threadId);
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "from the issuer");

        Assert.Equal("from the issuer", (await received.Task.WaitAsync(TimeSpan.FromSeconds(20))).Token);
        Assert.True(gateway.Issuer.MetadataRequests > 0, "The gateway should have read the issuer's metadata.");
    }

    [Fact]
    public async Task Tokens_that_mix_or_miss_what_the_issuer_signs_are_401()
    {
        using var otherKey = RSA.Create(2048);
        var refused = new Dictionary<string, string>
        {
            ["signed with another key under the issuer's key id"] = gateway.Issuer.Token("mallory", signWith: otherKey),
            ["another audience"] = gateway.Issuer.Token("mallory", audience: "someone-else"),
            ["the shared key's issuer, signed by the authority"] = gateway.Issuer.Token("mallory", issuer: "rehome"),
            ["the authority's issuer, signed with the shared key"] = SharedKeyTokenNaming(gateway.Issuer.Authority),
            ["no subject"] = gateway.Issuer.Token(null),
            ["an empty subject"] = gateway.Issuer.Token(""),
            ["expired"] = gateway.Issuer.Token("mallory", lifetime: TimeSpan.FromSeconds(-1)),
            ["three segments that do not decode"] = "a.b.c",
            ["a header that is not JSON"] = "bm90LWpzb24.e30.c2ln",
        };

        foreach (var (why, token) in refused)
        {
            var response = await Negotiate(token);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{why}: {(int)response.StatusCode}");
        }

        Assert.Equal(HttpStatusCode.OK, (await Negotiate(gateway.Issuer.Token("alice"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Negotiate(gateway.TokenFor("alice"))).StatusCode);
    }

    [Theory]
    [InlineData("https://login.example.com/tenant", false, true)]
    [InlineData("http://127.0.0.1:5000/issuer", false, true)]
    [InlineData("http://localhost:5000", false, true)]
    [InlineData("http://login.internal/tenant", false, false)]
    [InlineData("http://login.internal/tenant", true, true)]
    [InlineData("ftp://login.example.com", true, false)]
    [InlineData("/relative", true, false)]
    public void An_authority_must_be_https_except_on_loopback_or_when_allowed(string authority, bool allowHttp, bool acceptable) =>
        Assert.Equal(acceptable, BrowserTokens.IsAcceptableAuthority(authority, allowHttp));

    [Fact]
    public void A_plain_http_authority_elsewhere_stops_the_gateway_at_start()
    {
        var app = GatewayApp.Create([], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = "127.0.0.1:1",
            ["Auth:SigningKey"] = GatewayFixture.SigningKey,
            ["Auth:Authority"] = "http://login.internal/tenant",
        }));

        var error = Assert.ThrowsAny<Exception>(() => app.StartAsync().GetAwaiter().GetResult());

        Assert.Contains("Auth:Authority must be an absolute https URL", error.ToString());
    }

    private static string SharedKeyTokenNaming(string issuer) =>
        new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Subject = new System.Security.Claims.ClaimsIdentity([new System.Security.Claims.Claim("sub", "mallory")]),
            Issuer = issuer,
            Audience = "rehome-gateway",
            Expires = DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = new Microsoft.IdentityModel.Tokens.SigningCredentials(
                new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(GatewayFixture.SigningKey)),
                Microsoft.IdentityModel.Tokens.SecurityAlgorithms.HmacSha256),
        });

    private async Task<HttpResponseMessage> Negotiate(string token)
    {
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return await http.PostAsync(HubContract.Path + "/negotiate?negotiateVersion=1", null);
    }
}
