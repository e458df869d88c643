using ReHome.Gateway.Pusher;

namespace ReHome.Tests.Pusher;

public sealed class PusherOptionsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_message_rate_that_is_not_a_positive_number_fails_the_start_naming_the_key(double rate)
    {
        var problems = new PusherOptions { MessagesPerSecond = rate }.Problems().ToList();

        Assert.Contains(problems, p => p.Contains("MessagesPerSecond", StringComparison.Ordinal));
    }

    [Fact]
    public void The_defaults_have_no_problems() => Assert.Empty(new PusherOptions().Problems());
}
