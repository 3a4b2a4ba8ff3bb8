namespace Tickrunner.Cluster.Storage;

/// <summary>
/// A grain state with an append-only journal beside it (a runner's closed trades): <see cref="SqliteGrainStorage"/> appends
/// the pending entries in the same transaction as the state row, so a long history costs nothing per write and the journal
/// never disagrees with the state it belongs to.
/// </summary>
public interface IJournaledState
{
    /// <summary>Entries to append with the next write, oldest first; the storage empties it once they are committed.</summary>
    List<object> JournalPending { get; }

    /// <summary>How many of the newest entries the journal keeps: a write deletes those older than that.</summary>
    int JournalCapacity { get; }

    /// <summary>True when the next write deletes the journal before it appends (the grain started afresh); the storage resets it.</summary>
    bool JournalRestart { get; set; }
}
