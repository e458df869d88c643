using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Cluster;

/// <summary><see cref="IStreamGrain.GetPosition"/>, which a producer taking over a stream goes on from.</summary>
[Collection(TightLimitsCollection.Name)]
public sealed class PositionTests(TightLimitsFixture fixture)
{
    /// <summary>
    /// The new producer holds none of the tokens before the position it is given, so a crash before the next
    /// checkpoint would lose tokens viewers saw and no one can send again: the position must be stored first.
    /// </summary>
    [Fact]
    public async Task The_position_handed_to_a_producer_taking_over_is_stored_first()
    {
        var (_, _, streamId, grain) = await fixture.NewStream();
        foreach (var token in new[] { "a", "b", "c" })
        {
            await grain.Append(token);
        }

        Assert.Equal(0L, (await fixture.ReadStoredStream(streamId)).State.LastSequence);

        var position = await grain.GetPosition();

        Assert.Equal(3L, position.LastSequence);
        var (_, stored) = await fixture.ReadStoredStream(streamId);
        Assert.Equal((3L, false), (stored.LastSequence, stored.Settled));
    }
}
