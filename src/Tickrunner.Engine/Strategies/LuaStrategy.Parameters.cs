using System.Globalization;
using System.Text.RegularExpressions;
using KeraLua;

namespace Tickrunner.Engine.Strategies;

public sealed partial class LuaStrategy
{
    private const string ParamsGlobal = "params";
    private const int MaxParameters = 64;
    private const int MaxChoices = 100;
    private static readonly HashSet<string> NumberFields = ["default", "min", "max", "step"];
    private static readonly HashSet<string> ChoiceFields = ["default", "choices"];

    private Dictionary<string, object> _parameterValues = [];

    /// <summary>The parameters the strategy declares in its global <c>params</c> table, by name; empty without one.</summary>
    public IReadOnlyList<StrategyParameter> Parameters { get; private set; } = [];

    /// <summary>The value each declared parameter has now (its default, or the override given), by name.</summary>
    public IReadOnlyDictionary<string, object> ParameterValues => _parameterValues;

    /// <summary>
    /// Gives the declared parameters their values: each override replaces its default in <c>params</c>, the others keep
    /// theirs. Call before the first tick. <see cref="StrategyParameterException"/> when an override names no declared
    /// parameter or does not fit its declaration; then nothing changes.
    /// </summary>
    public void SetParameters(IReadOnlyDictionary<string, object>? overrides)
    {
        if (overrides is null || overrides.Count == 0) return;
        var problems = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var values = new Dictionary<string, object>(_parameterValues, StringComparer.Ordinal);
        foreach (var (name, value) in overrides)
        {
            var declared = Parameters.FirstOrDefault(p => p.Name == name);
            if (declared is null)
            {
                problems[$"params.{name}"] = Parameters.Count == 0
                    ? $"{Name} declares no parameters, so params.{name} cannot be set."
                    : $"{Name} has no parameter '{name}'; it declares {string.Join(", ", Parameters.Select(p => p.Name))}.";
                continue;
            }
            var (checkedValue, problem) = declared.Check(StrategyParameter.Plain(value));
            if (problem is not null) problems[$"params.{name}"] = problem;
            else values[name] = checkedValue!;
        }
        if (problems.Count > 0) throw new StrategyParameterException(problems);
        WriteParameterValues(values);
    }

    // After the chunk ran: reads the declarations (raw access only: no metamethod of the strategy's runs outside a protected
    // call), and replaces each declaration with its default, so callbacks read params.fast as a number.
    private void ReadParameters(List<LuaDiagnostic> diagnostics)
    {
        var lua = _lua;
        lua.PushString(ParamsGlobal);
        var type = lua.RawGet(GlobalsSlot);
        var table = lua.GetTop();
        try
        {
            if (type == LuaType.Nil) return;
            var line = DeclarationLine(null);
            if (type != LuaType.Table)
            {
                diagnostics.Add(new LuaDiagnostic(line, null,
                    $"params must be a table of parameter declarations (name = {{ default = …, min = …, max = …, step = … }}), not a {LuaTypeName(type)}",
                    DiagnosticSeverity.Error));
                return;
            }
            // Bounded work whatever the table holds: this runs outside the instruction budget, so a table of a million keys
            // must cost no more than one of 65. Entries are counted first; each declaration is then read once.
            var entries = 0;
            var badKey = false;
            lua.PushNil();
            while (lua.Next(table))
            {
                if (lua.Type(-2) != LuaType.String) badKey = true;
                lua.Pop(1);
                if (++entries > MaxParameters) break;
            }
            if (entries > MaxParameters)
            {
                lua.SetTop(table);
                diagnostics.Add(new LuaDiagnostic(line, null, $"params declares more than {MaxParameters} parameters; at most {MaxParameters} are allowed", DiagnosticSeverity.Error));
                return;
            }
            if (badKey)
            {
                diagnostics.Add(new LuaDiagnostic(line, null, "params keys must be names (params = { fast = { … } })", DiagnosticSeverity.Error));
                return;
            }
            var declared = new List<StrategyParameter>();
            lua.PushNil();
            while (lua.Next(table))
            {
                // key at -2 (a string: checked above), declaration at -1
                var name = lua.RawLen(-2) <= 64 ? lua.ToString(-2, false) : "";
                var parameter = ReadDeclaration(name, lua.GetTop(), diagnostics);
                if (parameter is not null) declared.Add(parameter);
                lua.Pop(1);
            }
            if (diagnostics.Count > 0) return;
            Parameters = declared.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
            WriteParameterValues(Parameters.ToDictionary(p => p.Name, p => p.Default, StringComparer.Ordinal));
        }
        finally
        {
            lua.SetTop(table - 1);
        }
    }

    private StrategyParameter? ReadDeclaration(string name, int index, List<LuaDiagnostic> diagnostics)
    {
        var lua = _lua;
        if (!ParameterName().IsMatch(name))
        {
            diagnostics.Add(new LuaDiagnostic(DeclarationLine(name.Length > 0 ? name : null), null,
                $"params.{(name.Length > 0 ? name : "…")}: a parameter name is 1 to 64 letters, digits and '_', not starting with a digit", DiagnosticSeverity.Error));
            return null;
        }
        var line = DeclarationLine(name);
        void Problem(string text) => diagnostics.Add(new LuaDiagnostic(line, null, $"params.{name}: {text}", DiagnosticSeverity.Error));
        if (lua.Type(index) != LuaType.Table)
        {
            Problem($"a declaration is a table ({{ default = …, min = …, max = … }} or {{ default = …, choices = {{ … }} }}), not a {LuaTypeName(lua.Type(index))}");
            return null;
        }
        var fields = new List<string>();
        lua.PushNil();
        while (lua.Next(index))
        {
            fields.Add(lua.Type(-2) == LuaType.String && lua.RawLen(-2) <= 16 ? lua.ToString(-2, false) : "?");
            lua.Pop(1);
            if (fields.Count > NumberFields.Count) // more fields than any declaration has: one of them is unknown
            {
                lua.Pop(1);
                break;
            }
        }
        var choice = fields.Contains("choices");
        var allowed = choice ? ChoiceFields : NumberFields;
        if (fields.FirstOrDefault(f => !allowed.Contains(f)) is { } unknown)
        {
            Problem(unknown == "?" ? "declaration keys are names" : choice
                ? $"unknown field '{unknown}' (a choice has default and choices)"
                : $"unknown field '{unknown}' (a number has default, min, max and step)");
            return null;
        }
        if (!fields.Contains("default"))
        {
            Problem("default is required");
            return null;
        }
        if (choice)
        {
            var choices = ReadChoices(name, index, Problem);
            if (choices is null) return null;
            var parameter = new StrategyParameter { Name = name, Kind = ParameterKind.Choice, Default = "", Choices = choices, Line = line };
            var (value, problem) = parameter.Check(ReadScalar(index, "default"));
            if (problem is not null)
            {
                Problem($"default must be one of the choices ({string.Join(", ", choices.Select(StrategyParameter.Show))})");
                return null;
            }
            return parameter with { Default = value! };
        }
        var (defaultValue, defaultIsInteger) = ReadNumber(index, "default");
        var (min, minIsInteger) = ReadNumber(index, "min");
        var (max, maxIsInteger) = ReadNumber(index, "max");
        var (step, stepIsInteger) = fields.Contains("step") ? ReadNumber(index, "step") : (null, false);
        if (defaultValue is null || min is null || max is null || (fields.Contains("step") && step is null))
        {
            Problem("default, min and max are required and must be finite numbers (step too, when given)");
            return null;
        }
        if (min > max)
        {
            Problem($"min ({StrategyParameter.Show(min)}) is above max ({StrategyParameter.Show(max)})");
            return null;
        }
        if (step is <= 0)
        {
            Problem($"step must be positive, got {StrategyParameter.Show(step)}");
            return null;
        }
        var integer = defaultIsInteger && minIsInteger && maxIsInteger && step is not null && stepIsInteger;
        var declaration = new StrategyParameter
        {
            Name = name, Kind = integer ? ParameterKind.Integer : ParameterKind.Number, Default = 0.0, Min = min, Max = max, Step = step, Line = line,
        };
        var (checkedDefault, defaultProblem) = declaration.Check(defaultValue.Value);
        if (defaultProblem is not null)
        {
            Problem(defaultProblem.Replace($"params.{name} must", "default must", StringComparison.Ordinal));
            return null;
        }
        return declaration with { Default = checkedDefault! };
    }

    private List<object>? ReadChoices(string name, int index, Action<string> problem)
    {
        var lua = _lua;
        lua.PushString("choices");
        var type = lua.RawGet(index);
        try
        {
            if (type != LuaType.Table)
            {
                problem($"choices must be a list ({{ \"a\", \"b\" }}), not a {LuaTypeName(type)}");
                return null;
            }
            var list = new List<object>();
            var table = lua.GetTop();
            var length = lua.RawLen(table);
            if (length is < 1 or > MaxChoices)
            {
                problem($"choices must list 1 to {MaxChoices} values, got {length}");
                return null;
            }
            for (var i = 1; i <= length; i++)
            {
                lua.RawGetInteger(table, i);
                var value = ScalarAt(-1);
                lua.Pop(1);
                if (value is null)
                {
                    problem($"choice {i} must be a string, a number or a boolean");
                    return null;
                }
                list.Add(value);
            }
            return list;
        }
        finally
        {
            lua.Pop(1);
        }
    }

    private object? ReadScalar(int index, string field)
    {
        _lua.PushString(field);
        _lua.RawGet(index);
        var value = ScalarAt(-1);
        _lua.Pop(1);
        return value;
    }

    private (double? Value, bool IsInteger) ReadNumber(int index, string field)
    {
        var value = ReadScalar(index, field);
        return value switch
        {
            long l => (l, true),
            double d when double.IsFinite(d) => (d, false),
            _ => (null, false),
        };
    }

    private object? ScalarAt(int index) => _lua.Type(index) switch
    {
        LuaType.String => _lua.ToString(index, false),
        LuaType.Boolean => _lua.ToBoolean(index),
        LuaType.Number => _lua.IsInteger(index) ? (object)_lua.ToInteger(index) : _lua.ToNumber(index),
        _ => null,
    };

    private void WriteParameterValues(Dictionary<string, object> values)
    {
        var lua = _lua;
        lua.PushString(ParamsGlobal);
        lua.RawGet(GlobalsSlot);
        var table = lua.GetTop();
        foreach (var (name, value) in values)
        {
            lua.PushString(name);
            switch (value)
            {
                case long l: lua.PushInteger(l); break;
                case double d: lua.PushNumber(d); break;
                case bool b: lua.PushBoolean(b); break;
                default: lua.PushString(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
            }
            lua.RawSet(table);
        }
        lua.SetTop(table - 1);
        _parameterValues = values;
    }

    // The line a declaration is on, found in the source: the parameter's "name =" after "params =", else "params =", else 1.
    private int DeclarationLine(string? name)
    {
        var start = ParamsAssignment().Match(Code);
        if (!start.Success) return 1;
        var line = LineOf(start.Index);
        if (name is null) return line;
        var entry = new Regex($@"(?<![\w.])(?:{Regex.Escape(name)}|\[\s*[""']{Regex.Escape(name)}[""']\s*\])\s*=", RegexOptions.CultureInvariant)
            .Match(Code, start.Index + start.Length);
        return entry.Success ? LineOf(entry.Index) : line;
    }

    private int LineOf(int offset)
    {
        var line = 1;
        for (var i = 0; i < offset && i < Code.Length; i++)
            if (Code[i] == '\n') line++;
        return line;
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex ParameterName();

    [GeneratedRegex(@"(?m)^\s*params\s*=", RegexOptions.CultureInvariant)]
    private static partial Regex ParamsAssignment();
}
