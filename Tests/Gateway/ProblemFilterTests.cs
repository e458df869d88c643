using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using ReHome.Gateway.Api;

namespace ReHome.Tests.Gateway;

/// <summary>
/// How the HTTP endpoints answer a grain call that failed without an answer. A failover that makes Orleans give up
/// cannot be timed in a test, so the filter is given the exceptions Orleans throws then.
/// </summary>
public sealed class ProblemFilterTests
{
    public static TheoryData<Exception> ClusterFailures =>
    [
        new OperationCanceledException("Message expired before placement could complete."),
        new TimeoutException("Response did not arrive on time."),
        new SiloUnavailableException("The target silo is no longer active."),
    ];

    [Theory]
    [MemberData(nameof(ClusterFailures))]
    public async Task A_call_the_cluster_did_not_answer_is_503_unavailable(Exception failure)
    {
        var result = await new ReHomeProblemFilter().InvokeAsync(
            new DefaultEndpointFilterInvocationContext(new DefaultHttpContext()), _ => throw failure);

        var problem = Assert.IsType<ProblemHttpResult>(result);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, problem.StatusCode);
        Assert.Equal("unavailable", problem.ProblemDetails.Extensions["code"]);
    }

    [Fact]
    public async Task A_request_the_caller_aborted_is_not_answered_as_unavailable()
    {
        using var aborted = new CancellationTokenSource();
        await aborted.CancelAsync();
        var http = new DefaultHttpContext { RequestAborted = aborted.Token };

        await Assert.ThrowsAsync<OperationCanceledException>(async () => await new ReHomeProblemFilter().InvokeAsync(
            new DefaultEndpointFilterInvocationContext(http), _ => throw new OperationCanceledException(aborted.Token)));
    }
}
