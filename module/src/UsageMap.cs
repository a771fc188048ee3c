using System;
using System.Collections;
using System.Collections.Generic;
using System.Text;

namespace AzsUsage;

/// <summary>
/// An ordered string map (Tags, AdditionalInfo). Indexes like a dictionary (<c>$r.Tags['CostCenter']</c>; exact key
/// first, then ignoring case; a missing key gives $null), keeps the service's key order, and its
/// <see cref="ToString"/> is the schema's text form (<c>key=value;key=value</c>, with <c>\</c>, <c>;</c>, <c>=</c>
/// escaped by a backslash), so <c>Export-Csv</c> writes readable text.
/// </summary>
public sealed class UsageMap : IReadOnlyDictionary<string, string>
{
    private readonly List<KeyValuePair<string, string>> _items;

    /// <summary>An empty map.</summary>
    public UsageMap() => _items = new List<KeyValuePair<string, string>>();

    /// <summary>A map with these pairs, in order.</summary>
    public UsageMap(IEnumerable<KeyValuePair<string, string>> items) => _items = new List<KeyValuePair<string, string>>(items);

    /// <summary>The value for <paramref name="key"/>, or null when absent.</summary>
    public string? this[string key] => TryGetValue(key, out var v) ? v : null;

    string IReadOnlyDictionary<string, string>.this[string key] =>
        TryGetValue(key, out var v) ? v : throw new KeyNotFoundException(key);

    /// <summary>Number of entries.</summary>
    public int Count => _items.Count;

    /// <summary>Keys in order.</summary>
    public IEnumerable<string> Keys { get { foreach (var kv in _items) yield return kv.Key; } }

    /// <summary>Values in key order.</summary>
    public IEnumerable<string> Values { get { foreach (var kv in _items) yield return kv.Value; } }

    /// <summary>True when the key is present (exact, then ignoring case).</summary>
    public bool ContainsKey(string key) => TryGetValue(key, out _);

    /// <summary>Looks up a key: exact match first, then ignoring case (ARM tag names are case-insensitive).</summary>
    public bool TryGetValue(string key, out string value)
    {
        foreach (var kv in _items)
            if (string.Equals(kv.Key, key, StringComparison.Ordinal)) { value = kv.Value; return true; }
        foreach (var kv in _items)
            if (string.Equals(kv.Key, key, StringComparison.OrdinalIgnoreCase)) { value = kv.Value; return true; }
        value = null!;
        return false;
    }

    /// <summary>Entries in order.</summary>
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The schema's map text: <c>key=value</c> pairs joined by <c>;</c>, escaped; empty when empty.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < _items.Count; i++)
        {
            if (i > 0) sb.Append(';');
            Escape(sb, _items[i].Key);
            sb.Append('=');
            Escape(sb, _items[i].Value);
        }
        return sb.ToString();
    }

    private static void Escape(StringBuilder sb, string s)
    {
        foreach (var c in s)
        {
            if (c == '\\' || c == ';' || c == '=') sb.Append('\\');
            sb.Append(c);
        }
    }

    /// <summary>Parses the schema's map text (the inverse of <see cref="ToString"/>), e.g. a column read by Import-Csv.</summary>
    public static UsageMap Parse(string? text)
    {
        var items = new List<KeyValuePair<string, string>>();
        if (string.IsNullOrEmpty(text)) return new UsageMap(items);
        var key = new StringBuilder();
        var cur = new StringBuilder();
        bool inValue = false, escaped = false;
        foreach (var c in text)
        {
            if (escaped) { cur.Append(c); escaped = false; }
            else if (c == '\\') escaped = true;
            else if (c == '=' && !inValue) { key.Clear().Append(cur); cur.Clear(); inValue = true; }
            else if (c == ';') { items.Add(new(key.ToString(), cur.ToString())); key.Clear(); cur.Clear(); inValue = false; }
            else cur.Append(c);
        }
        items.Add(new(key.ToString(), cur.ToString()));
        return new UsageMap(items);
    }
}
