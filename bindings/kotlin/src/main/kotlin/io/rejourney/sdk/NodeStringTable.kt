package io.rejourney.sdk

import kotlin.random.Random
import uniffi.rejourney_core.NodeStrings

/**
 * The strings a walk's `ViewNode`s name by index (class names, test ids, developer tags), kept
 * so each one crosses the FFI once per table instead of once per node per frame: as heap
 * strings the binding encoded every one of them on the main thread, and the core allocated and
 * freed each one, every frame (`benches/RESULTS.md`). The core keeps the other half
 * (`rejourney-core/src/strings.rs`) and checks that each update continues the table it has.
 *
 * A walk [intern]s its strings (a new one is pending); each submit carries [update] (the
 * pending strings, from index `base`); after the core answered, [committed] marks them sent.
 * The core applies the update before it looks at the frame, so any answer but
 * `RejourneyException.StringTable` or `Closed` means it has them. A frame that never reached
 * the core (its capture threw after the walk) leaves its strings pending: they go with the
 * next frame, from the same base.
 *
 * When the core refuses an update (`StringTable`: another table took this one's place, or it
 * went over the core's limits) the caller [reset]s: a new table id, everything sent again.
 * Any other loss of track heals the same way, one frame later: an update whose base the core
 * does not have is refused, never applied to the wrong indices. Ids are random 64-bit values
 * so two tables in one process (a restarted capture loop, a second shim) never pass for one.
 * Before each walk [resetIfFull] starts a new table at half the core's limits, so a long
 * session with ever new strings never reaches them.
 *
 * Not thread-safe: one thread (Android's main thread) walks, submits and commits.
 */
class NodeStringTable(private val newTableId: () -> ULong = { Random.nextLong().toULong() }) {
    /** This table's id, as the core sees it. */
    var table: ULong = newTableId()
        private set
    private val index = HashMap<String, UInt>()
    /** How many strings the core has: the index of `pending[0]`. */
    private var base = 0u
    private val pending = ArrayList<String>()
    /** UTF-8 bytes of every string in the table, as the core counts them. */
    private var bytes = 0L

    /** Strings in the table, sent or pending. */
    val size: Int get() = index.size

    /** The index of [s], adding it (pending) the first time it is seen. */
    fun intern(s: String): UInt {
        index[s]?.let { return it }
        val i = base + pending.size.toUInt()
        index[s] = i
        pending.add(s)
        bytes += utf8Length(s)
        return i
    }

    /** What to send with the next submit: the strings the core does not have yet. */
    fun update(): NodeStrings =
        NodeStrings(table, base, if (pending.isEmpty()) emptyList() else ArrayList(pending))

    /**
     * The core received [sent] (the submit returned, or threw anything but `StringTable` or
     * `Closed`). Strings interned after it was taken stay pending; an update of an earlier
     * table (a reset came in between) changes nothing.
     */
    fun committed(sent: NodeStrings) {
        if (sent.table != table || sent.base != base || sent.added.size > pending.size) return
        base += sent.added.size.toUInt()
        pending.subList(0, sent.added.size).clear()
    }

    /** Starts a new table: nodes walked before this name strings no one will send. */
    fun reset() {
        val old = table
        table = newTableId().let { if (it == old) it + 1u else it }
        index.clear()
        pending.clear()
        base = 0u
        bytes = 0L
    }

    /** Resets when the table holds half the core's limit of strings or bytes; true if it did. */
    fun resetIfFull(): Boolean {
        if (index.size < RESET_STRINGS && bytes < RESET_BYTES) return false
        reset()
        return true
    }

    companion object {
        /** The core's limits on one table (`StringLimits` in `rejourney-core/src/strings.rs`). */
        const val CORE_MAX_STRINGS = 16_384
        const val CORE_MAX_BYTES = 2L shl 20
        /**
         * Half of them: the other half is room for the walks to come, which add only strings
         * not seen before (a screen's few dozen class names, its test ids). A single walk with
         * more new strings than the core takes cannot be described; the core refuses it (the
         * frame is lost, privacy fails closed) and the next walk starts a new table.
         */
        const val RESET_STRINGS = CORE_MAX_STRINGS / 2
        const val RESET_BYTES = CORE_MAX_BYTES / 2

        private fun utf8Length(s: String): Long {
            var n = 0L
            var i = 0
            while (i < s.length) {
                val c = s[i]
                n += when {
                    c.code < 0x80 -> 1
                    c.code < 0x800 -> 2
                    // A valid surrogate pair is one 4-byte code point; a lone surrogate is
                    // encoded as U+FFFD (3 bytes).
                    Character.isHighSurrogate(c) && i + 1 < s.length && Character.isLowSurrogate(s[i + 1]) -> { i++; 4 }
                    else -> 3
                }
                i++
            }
            return n
        }
    }
}
