using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Tickrunner.Engine.Datasets;

/// <summary>
/// The binary cache of one dataset: a 128-byte header, then six column arrays (timestamps as long, open, high,
/// low, close, volume as double), little-endian, each <c>count × 8</c> bytes, so a column is read straight into its array.
/// </summary>
internal static class BarFile
{
    public const string Extension = ".bars";
    public const int HeaderSize = 128;
    public const int Columns = 6;
    private static ReadOnlySpan<byte> Magic => "TRBARS\r\n"u8; // \r\n: a text-mode copy that mangles line ends is caught
    private const int Version = 1;

    // Header layout (offsets): 0 magic[8], 8 version i32, 12 header size i32, 16 count i64, 24 first i64, 32 last i64,
    // 40 gaps i64, 48 missing bars i64, 56 symbol length u8, 57 symbol[32], 89 interval length u8, 90 interval[8], rest 0.
    public sealed record Header(string Symbol, string Interval, long Count, long First, long Last, long Gaps, long MissingBars);

    static BarFile()
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the dataset cache is written on little-endian machines only");
    }

    public static void WriteHeader(Stream stream, Header header)
    {
        Span<byte> buffer = stackalloc byte[HeaderSize];
        buffer.Clear();
        Magic.CopyTo(buffer);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[8..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[12..], HeaderSize);
        BinaryPrimitives.WriteInt64LittleEndian(buffer[16..], header.Count);
        BinaryPrimitives.WriteInt64LittleEndian(buffer[24..], header.First);
        BinaryPrimitives.WriteInt64LittleEndian(buffer[32..], header.Last);
        BinaryPrimitives.WriteInt64LittleEndian(buffer[40..], header.Gaps);
        BinaryPrimitives.WriteInt64LittleEndian(buffer[48..], header.MissingBars);
        buffer[56] = (byte)Encoding.ASCII.GetBytes(header.Symbol, buffer.Slice(57, 32));
        buffer[89] = (byte)Encoding.ASCII.GetBytes(header.Interval, buffer.Slice(90, 8));
        stream.Write(buffer);
    }

    public static Header ReadHeader(SafeFileHandle file, string path)
    {
        Span<byte> buffer = stackalloc byte[HeaderSize];
        if (RandomAccess.Read(file, buffer, 0) != HeaderSize || !buffer[..8].SequenceEqual(Magic))
            throw new InvalidDataException($"{path} is not a dataset cache file");
        var version = BinaryPrimitives.ReadInt32LittleEndian(buffer[8..]);
        if (version != Version || BinaryPrimitives.ReadInt32LittleEndian(buffer[12..]) != HeaderSize)
            throw new InvalidDataException($"{path}: dataset cache version {version} is not supported (expected {Version})");
        var header = new Header(
            Encoding.ASCII.GetString(buffer.Slice(57, Math.Min((int)buffer[56], 32))),
            Encoding.ASCII.GetString(buffer.Slice(90, Math.Min((int)buffer[89], 8))),
            BinaryPrimitives.ReadInt64LittleEndian(buffer[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(buffer[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(buffer[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(buffer[40..]),
            BinaryPrimitives.ReadInt64LittleEndian(buffer[48..]));
        if (header.Count < 0 || header.Count > Array.MaxLength || RandomAccess.GetLength(file) != HeaderSize + header.Count * 8 * Columns)
            throw new InvalidDataException($"{path}: the file length does not match its {header.Count} bars");
        return header;
    }

    public static void WriteColumns(Stream stream, BarSeries series)
    {
        stream.Write(MemoryMarshal.AsBytes(series.Timestamps));
        stream.Write(MemoryMarshal.AsBytes(series.Open));
        stream.Write(MemoryMarshal.AsBytes(series.High));
        stream.Write(MemoryMarshal.AsBytes(series.Low));
        stream.Write(MemoryMarshal.AsBytes(series.Close));
        stream.Write(MemoryMarshal.AsBytes(series.Volume));
    }

    /// <summary>Offset of bar <paramref name="index"/> of column <paramref name="column"/> (0 = timestamps … 5 = volume).</summary>
    public static long Offset(long count, int column, long index) => HeaderSize + (column * count + index) * 8;

    public static long ReadTimestamp(SafeFileHandle file, long count, long index)
    {
        Span<byte> buffer = stackalloc byte[8];
        ReadExactly(file, buffer, Offset(count, 0, index));
        return BinaryPrimitives.ReadInt64LittleEndian(buffer);
    }

    public static void ReadExactly(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        while (!buffer.IsEmpty)
        {
            var read = RandomAccess.Read(file, buffer, offset);
            if (read == 0) throw new EndOfStreamException("the dataset cache file ended early");
            buffer = buffer[read..];
            offset += read;
        }
    }

    /// <summary>Copies <paramref name="length"/> bytes from <paramref name="offset"/> of <paramref name="file"/> to <paramref name="destination"/>.</summary>
    public static void CopyRange(SafeFileHandle file, long offset, long length, Stream destination, byte[] buffer)
    {
        while (length > 0)
        {
            var chunk = buffer.AsSpan(0, (int)Math.Min(buffer.Length, length));
            ReadExactly(file, chunk, offset);
            destination.Write(chunk);
            offset += chunk.Length;
            length -= chunk.Length;
        }
    }
}
