using Microsoft.Extensions.Options;

namespace ReHome.Gateway.Pusher;

/// <summary>Fails the start with every problem in the <c>Pusher</c> section, each naming its key.</summary>
internal sealed class PusherOptionsValidation : IValidateOptions<PusherOptions>
{
    public ValidateOptionsResult Validate(string? name, PusherOptions options)
    {
        var problems = options.Problems().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
