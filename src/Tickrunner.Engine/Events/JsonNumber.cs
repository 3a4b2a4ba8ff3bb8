namespace Tickrunner.Engine.Events;

/// <summary>Fast JSON output for the numbers markets produce: prices and sizes with at most 8 decimals.</summary>
/// <remarks>
/// Shortest round-trip formatting of a double costs most of an event's serialization time. A value that is
/// exactly n / 10^8 for an integer n (every exchange price and size is) is written from that integer instead,
/// which is exact and several times faster; anything else falls back to the framework's formatting.
/// </remarks>
internal static class JsonNumber
{
    private const double Scale = 1e8;

    /// <summary>Formats <paramref name="value"/> as a plain decimal when it has at most 8 decimals and |value| &lt; 1e10.</summary>
    public static bool TryFormat(double value, Span<byte> destination, out int written)
    {
        written = 0;
        if (!(Math.Abs(value) < 1e10)) return false; // also NaN and infinities
        var scaled = Math.Round(value * Scale);
        if (scaled / Scale != value) return false; // not exactly n / 10^8: let the framework format it
        var n = (long)scaled;
        var position = 0;
        if (n < 0)
        {
            destination[position++] = (byte)'-';
            n = -n;
        }
        var integer = n / 100_000_000;
        var fraction = n % 100_000_000;
        if (!System.Buffers.Text.Utf8Formatter.TryFormat(integer, destination[position..], out var integerLength)) return false;
        position += integerLength;
        if (fraction != 0)
        {
            destination[position++] = (byte)'.';
            var digits = 8;
            while (fraction % 10 == 0)
            {
                fraction /= 10;
                digits--;
            }
            for (var i = digits - 1; i >= 0; i--)
            {
                destination[position + i] = (byte)('0' + fraction % 10);
                fraction /= 10;
            }
            position += digits;
        }
        written = position;
        return true;
    }
}
