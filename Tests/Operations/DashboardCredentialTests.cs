using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Configuration;
using ReHome.Silo;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Operations;

/// <summary>A gateway whose dashboard has a password, as every silo's must in cluster mode.</summary>
public sealed class PasswordDashboardFixture : GatewayFixture
{
    public const string Password = "dashboard-password-for-tests";

    protected override Dictionary<string, string?> Settings => new() { ["Dashboard:Password"] = Password };
}

public sealed class DashboardCredentialTests(PasswordDashboardFixture gateway) : IClassFixture<PasswordDashboardFixture>
{
    [Theory]
    [InlineData(null)]
    [InlineData("admin:wrong-password-000")]
    [InlineData("someone:" + PasswordDashboardFixture.Password)]
    [InlineData("not base64")]
    public async Task Without_the_right_credential_the_dashboard_and_its_api_answer_401_with_a_challenge(string? credential)
    {
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        foreach (var path in new[] { "/dashboard/", "/dashboard/ClusterStats", "/dashboard/GrainTypes" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (credential is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                    credential.Contains(' ') ? credential : Convert.ToBase64String(Encoding.UTF8.GetBytes(credential)));
            }

            using var response = await http.SendAsync(request);

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().Scheme);
        }
    }

    [Fact]
    public async Task With_the_credential_the_dashboard_serves_its_page_and_the_cluster_view()
    {
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + PasswordDashboardFixture.Password)));

        var page = await http.GetStringAsync("/dashboard/");
        Assert.Contains("<html", page, StringComparison.OrdinalIgnoreCase);
        await Eventually.True(async () => (await http.GetStringAsync("/dashboard/DashboardCounters")).Contains("\"status\":\"Active\""),
            because: "the dashboard reports the silo");
    }

    [Theory]
    [InlineData(true, null, true)]
    [InlineData(false, null, false)]
    [InlineData(false, "a-long-enough-password", true)]
    public void The_dashboard_runs_embedded_on_loopback_or_wherever_a_password_is_set(bool open, string? password, bool wanted)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Dashboard:Password"] = password }).Build();

        Assert.Equal(wanted, DashboardHosting.Wanted(configuration, open));
    }

    [Fact]
    public void Dashboard_Enabled_false_turns_it_off_even_embedded()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Dashboard:Enabled"] = "false" }).Build();

        Assert.False(DashboardHosting.Wanted(configuration, open: true));
    }
}
