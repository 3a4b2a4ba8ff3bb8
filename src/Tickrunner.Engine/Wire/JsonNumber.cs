using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Tickrunner.Engine.Wire;

/// <summary>Fast JSON output for the numbers markets produce: prices and sizes with at most 8 decimals.</summary>
/// <remarks>
/// Shortest round-trip formatting of a double costs most of an event's serialization time. A value that is
/// exactly n / 10^8 for an integer n (every exchange price and size is) is written from that integer instead,
/// which is exact and several times faster; anything else falls back to the framework's formatting.
/// Digits are computed and stored eight at a time, without data-dependent loops.
/// </remarks>
internal static class JsonNumber
{
    private const double Scale = 1e8;
    private const long FractionUnit = 100_000_000;

    /// <summary>Formats <paramref name="value"/> as a plain decimal when it has at most 8 decimals and |value| &lt; 1e10.</summary>
    /// <remarks><paramref name="destination"/> must hold at least 20 bytes.</remarks>
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
        var integer = (ulong)(n / FractionUnit);
        var fraction = (uint)(n - (long)integer * FractionUnit);
        position += WriteInteger(integer, destination[position..]);
        if (fraction != 0)
        {
            destination[position++] = (byte)'.';
            position += WriteFraction(fraction, destination[position..]);
        }
        written = position;
        return true;
    }

    /// <summary>Writes a non-negative integer; returns the number of bytes written.</summary>
    /// <remarks><paramref name="destination"/> must hold at least 20 bytes.</remarks>
    public static int WriteInteger(ulong value, Span<byte> destination)
    {
        if (value < 100_000_000) return WriteShort((uint)value, destination);
        if (value >= 10_000_000_000_000_000) return WriteLong(value, destination);
        // Up to 16 digits (millisecond timestamps, sequence numbers): the high part, then 8 digits.
        var high = value / 100_000_000;
        var length = WriteShort((uint)high, destination);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[length..], EightDigits((uint)(value - high * 100_000_000)));
        return length + 8;
    }

    // Below 10^8: the eight digits with leading zeros, shifted so the first significant digit comes first.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WriteShort(uint value, Span<byte> destination)
    {
        var length = DigitCount(value);
        BinaryPrimitives.WriteUInt64LittleEndian(destination, EightDigits(value) >> ((8 - length) * 8));
        return length;
    }

    private static int WriteLong(ulong value, Span<byte> destination)
    {
        var length = DigitCount(value);
        for (var end = length - 1; end >= 0; end--)
        {
            destination[end] = (byte)('0' + value % 10);
            value /= 10;
        }
        return length;
    }

    // Eight fraction digits (leading zeros kept); the trailing zeros are dropped by counting zero bytes,
    // without a loop whose exit the branch predictor would miss.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WriteFraction(uint fraction, Span<byte> destination)
    {
        var digits = EightDigits(fraction);
        BinaryPrimitives.WriteUInt64LittleEndian(destination, digits);
        // '0' bytes become zero; the last digit is the highest byte, and fraction != 0 keeps one non-zero byte.
        return 8 - System.Numerics.BitOperations.LeadingZeroCount(digits ^ 0x3030_3030_3030_3030UL) / 8;
    }

    // The eight decimal digits of a value below 10^8 as ASCII, the first digit in the lowest byte. SIMD within
    // a register: two 4-digit halves in 32-bit lanes are split into 2-digit pairs in 16-bit lanes, then into
    // digits in bytes, each step one multiply-shift (x * 10486 >> 20 is x / 100 below 10^4; x * 103 >> 10 is
    // x / 10 below 100) that no lane can carry out of.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong EightDigits(uint value)
    {
        var upper = value / 10_000;
        var x = upper | (ulong)(value - upper * 10_000) << 32;
        var hundreds = (x * 10_486 >> 20) & 0x0000_007F_0000_007FUL;
        x = (x - hundreds * 100) << 16 | hundreds;
        var tens = (x * 103 >> 10) & 0x000F_000F_000F_000FUL;
        x = (x - tens * 10) << 8 | tens;
        return x + 0x3030_3030_3030_3030UL;
    }

    // floor(log10) from the bit length (log10(2) ~ 1233 / 4096), corrected by one comparison.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DigitCount(ulong value)
    {
        var estimate = ((System.Numerics.BitOperations.Log2(value | 1) + 1) * 1233) >> 12;
        return estimate + 1 - ((value | 1) < PowersOf10[estimate] ? 1 : 0); // "| 1": zero has one digit
    }

    private static ReadOnlySpan<ulong> PowersOf10 =>
    [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
        100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
        10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ];
}
