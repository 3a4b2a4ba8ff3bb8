namespace Tickrunner.Engine.Indicators;

/// <summary>Argument checks and helpers shared by the indicators.</summary>
internal static class Period
{
    public static void Check(int period, string name = "period")
    {
        if (period < 1)
            throw new ArgumentOutOfRangeException(name, period, $"{name} must be at least 1.");
    }

    public static double[] NaNs(int length)
    {
        var result = new double[length];
        Array.Fill(result, double.NaN);
        return result;
    }
}
