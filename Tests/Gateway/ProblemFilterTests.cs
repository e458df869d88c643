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
        var http = new DefaultHttpContext();
        var result = await new ReHomeProblemFilter().InvokeAsync(new DefaultEndpointFilterInvocationContext(http), _ => throw failure);

        var problem = Assert.IsType<ProblemHttpResult>(result);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, problem.StatusCode);
        Assert.Equal("unavailable", problem.ProblemDetails.Extensions["code"]);
        Assert.Equal(("1", (object?)1), (http.Response.Headers.RetryAfter.ToString(), problem.ProblemDetails.Extensions["retryAfterSeconds"]));
    }

    [Fact]
    public async Task Storage_that_did_not_answer_is_503_storage_unavailable_with_a_retry_after()
    {
        var http = new DefaultHttpContext();
        var result = await new ReHomeProblemFilter().InvokeAsync(new DefaultEndpointFilterInvocationContext(http),
            _ => throw new StorageUnavailableException("Stream 's' could not store its end.", null));

        var problem = Assert.IsType<ProblemHttpResult>(result);
        Assert.Equal((StatusCodes.Status503ServiceUnavailable, (object?)"storage_unavailable"), (problem.StatusCode, problem.ProblemDetails.Extensions["code"]));
        Assert.Equal(("1", (object?)1), (http.Response.Headers.RetryAfter.ToString(), problem.ProblemDetails.Extensions["retryAfterSeconds"]));
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
