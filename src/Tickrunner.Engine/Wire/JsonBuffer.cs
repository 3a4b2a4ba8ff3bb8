using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Tickrunner.Engine.Wire;

/// <summary>
/// A growable UTF-8 buffer that writes JSON tokens directly: literal fragments, numbers and strings.
/// Faster than <see cref="Utf8JsonWriter"/> for the fixed shapes of events because property names and
/// punctuation are pre-encoded literals and there is no writer state to track.
/// </summary>
internal sealed class JsonBuffer
{
    private byte[] _bytes = new byte[512];
    private int _length;

    public void Clear() => _length = 0;

    public byte[] ToArray() => _bytes.AsSpan(0, _length).ToArray();

    /// <summary>Pre-encoded JSON: punctuation and property names such as <c>,"open":</c>.</summary>
    /// <remarks>Inlined so that the copy of a literal has a constant length, which the JIT unrolls.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Raw(ReadOnlySpan<byte> utf8)
    {
        if (!utf8.TryCopyTo(_bytes.AsSpan(_length)))
        {
            Ensure(utf8.Length);
            utf8.CopyTo(_bytes.AsSpan(_length));
        }
        _length += utf8.Length;
    }

    public void Number(long value)
    {
        Ensure(24);
        if (value < 0)
        {
            if (value == long.MinValue)
            {
                Raw("-9223372036854775808"u8);
                return;
            }
            _bytes[_length++] = (byte)'-';
            value = -value;
        }
        _length += JsonNumber.WriteInteger((ulong)value, _bytes.AsSpan(_length));
    }

    public void Number(double value)
    {
        Ensure(32);
        if (JsonNumber.TryFormat(value, _bytes.AsSpan(_length), out var written))
        {
            _length += written;
            return;
        }
        if (!double.IsFinite(value))
        {
            Raw("null"u8); // JSON has no NaN or infinity
            return;
        }
        value.TryFormat(_bytes.AsSpan(_length), out written, "R", System.Globalization.CultureInfo.InvariantCulture);
        _length += written;
    }

    public void NullableNumber(double? value)
    {
        if (value is { } v) Number(v); else Raw("null"u8);
    }

    // Runner ids and symbols repeat in every event: their encoded form is cached by reference (a few entries
    // per serializing thread), which saves the scan and transcoding on the per-tick events.
    private readonly string?[] _cachedStrings = new string?[8];
    private readonly byte[]?[] _cachedBytes = new byte[]?[8];
    private int _cacheNext;

    /// <summary>Like <see cref="String"/>, for strings that recur (ids, symbols): encoded once, then copied.</summary>
    public void RecurringString(string value)
    {
        for (var i = 0; i < _cachedStrings.Length; i++)
        {
            if (ReferenceEquals(_cachedStrings[i], value))
            {
                Raw(_cachedBytes[i]);
                return;
            }
        }
        var start = _length;
        String(value);
        var slot = _cacheNext;
        _cacheNext = (slot + 1) % _cachedStrings.Length;
        _cachedStrings[slot] = value;
        _cachedBytes[slot] = _bytes.AsSpan(start, _length - start).ToArray();
    }

    /// <summary>A quoted, escaped string; null writes <c>null</c>.</summary>
    public void String(string? value)
    {
        if (value is null)
        {
            Raw("null"u8);
            return;
        }
        if (IsPlain(value))
        {
            Ensure(value.Length + 2);
            _bytes[_length++] = (byte)'"';
            _length += Encoding.ASCII.GetBytes(value, _bytes.AsSpan(_length));
            _bytes[_length++] = (byte)'"';
            return;
        }
        var encoded = JsonEncodedText.Encode(value).EncodedUtf8Bytes;
        Ensure(encoded.Length + 2);
        _bytes[_length++] = (byte)'"';
        encoded.CopyTo(_bytes.AsSpan(_length));
        _length += encoded.Length;
        _bytes[_length++] = (byte)'"';
    }

    // Ids, symbols and most reasons are printable ASCII without quotes or backslashes: no escaping needed.
    private static bool IsPlain(string value)
    {
        foreach (var c in value)
            if (c < 0x20 || c > 0x7E || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c == '\'' || c == '+' || c == '`')
                return false;
        return true;
    }

    private void Ensure(int extra)
    {
        if (_length + extra > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _length + extra));
    }
}
