namespace Tickrunner.Testing;

/// <summary>Polls a condition until it holds, for the tests whose subject offers no signal to await.</summary>
public static class Wait
{
    /// <summary>Default time a condition gets before the test fails.</summary>
    public const int DefaultTimeoutMs = 15_000;

    /// <summary>Waits until <paramref name="condition"/> is true; <see cref="TimeoutException"/> naming <paramref name="what"/> after <paramref name="timeoutMs"/>.</summary>
    public static Task Until(Func<bool> condition, int timeoutMs = DefaultTimeoutMs, string? what = null) =>
        Until(() => Task.FromResult(condition()), timeoutMs, what);

    /// <summary>Waits until <paramref name="condition"/> is true; <see cref="TimeoutException"/> naming <paramref name="what"/> after <paramref name="timeoutMs"/>.</summary>
    public static async Task Until(Func<Task<bool>> condition, int timeoutMs = DefaultTimeoutMs, string? what = null)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!await condition())
        {
            if (Environment.TickCount64 > deadline) throw new TimeoutException($"timed out waiting for {what ?? "a condition"}");
            await Task.Delay(10);
        }
    }
}
