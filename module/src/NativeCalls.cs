using System;
using System.Collections.Generic;
using AzsUsage.Native;

namespace AzsUsage;

/// <summary>A call into the native library that did not return (a contained Rust panic, or a null handle).</summary>
public sealed class NativeInternalException : Exception
{
    internal NativeInternalException(string message) : base(message) { }
}

/// <summary>
/// Thin wrappers over the generated bindings: unwire results into managed objects, dispose every native buffer
/// once, and turn a contained panic into <see cref="NativeInternalException"/>. No logic beyond that.
/// </summary>
internal static class NativeCalls
{
    private static NativeInternalException Internal(string what)
    {
        string detail = "";
        try
        {
            var r = Interop.azs_last_panic();
            if (r.IsOk) { using var w = r.AsOk(); detail = w.Unwire(); }
        }
        catch (Exception) { /* best effort */ }
        return new NativeInternalException(
            $"Internal error in the native library during {what}" + (detail.Length > 0 ? $": {detail}" : ".") +
            " The session is still usable; please report this.");
    }

    /// <summary>Runs a generated wrapper call; a panic (non-generic EnumException) becomes NativeInternalException.</summary>
    internal static T Guard<T>(string what, Func<T> call)
    {
        try { return call(); }
        catch (EnumException) { throw Internal(what); }
        catch (EnumException<NativeStatus>) { throw Internal(what); }
    }

    internal static string Version()
    {
        using var w = Guard("azs_version", () => Interop.azs_version().AsOk());
        return w.Unwire();
    }

    internal static List<ErrorDto> DebugErrors()
    {
        using var w = Guard("azs_debug_errors", () => Interop.azs_debug_errors().AsOk());
        return w.Unwire().errors;
    }

    internal static List<MeterDto> Meters()
    {
        using var w = Guard("azs_meters", () => Interop.azs_meters().AsOk());
        return w.Unwire().meters;
    }

    internal static Session CreateSession() => Guard("session_create", Session.Create);

    internal static TextOutcome Connect(Session s, ConnectOptionsDto o)
    {
        using var w = Guard("session_connect", () => s.Connect(o.Wire()));
        return w.Unwire();
    }

    internal static TextOutcome DefaultSubscription(Session s)
    {
        using var w = Guard("session_default_subscription", s.DefaultSubscription);
        return w.Unwire();
    }

    internal static DirectoryOutcome TenantSubscriptions(Session s, string providerSubscription)
    {
        using var w = Guard("session_tenant_subscriptions", () => s.TenantSubscriptions(providerSubscription.Wire()));
        return w.Unwire();
    }

    internal static List<EventDto> DrainEvents(Session s)
    {
        using var w = Guard("session_drain_events", s.DrainEvents);
        return w.Unwire().events;
    }

    internal static Cursor OpenCursor(Session s, QueryDto q) => Guard("cursor_open", () => Cursor.Open(s, q.Wire()));

    internal static PageDto NextPage(Cursor c)
    {
        using var w = Guard("cursor_next_page", c.NextPage);
        return w.Unwire();
    }

    internal static List<EventDto> DrainEvents(Cursor c)
    {
        using var w = Guard("cursor_drain_events", c.DrainEvents);
        return w.Unwire().events;
    }

    internal static void Cancel(Cursor c) => Guard("cursor_cancel", c.Cancel);
}
