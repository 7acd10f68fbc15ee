package io.rejourney.sdk

import java.security.SecureRandom
import uniffi.rejourney_core.NodeStrings

/**
 * The strings a walk's `ViewNode`s name by index (class names, test ids, developer tags), kept
 * so each one crosses the FFI once per table instead of once per node per frame: as heap
 * strings the binding encoded every one of them on the main thread, and the core allocated and
 * freed each one, every frame (`benches/RESULTS.md`). The core keeps the other half
 * (`rejourney-core/src/strings.rs`) and decides whether each update continues the table it has.
 *
 * A walk [intern]s its strings (a new one is pending); each submit carries [update]: the
 * pending strings from index `base`, with the running digest of every string before `base`,
 * which proves to the core which table the update extends. Only a submit that returned
 * [committed]s it. After any other answer the strings stay pending and go again with the next
 * frame, from the same base: the core accepts a resend of strings it already has (it applied
 * them before refusing the frame, or the answer was lost), so the table never has to guess.
 *
 * When the core refuses an update (`RejourneyException.StringTable`: another table took this
 * one's place, the digest is not the core's, or it would pass the core's limits) the caller
 * [reset]s: a new table id, everything sent again. Ids come from the OS's random source, and
 * the digest tells apart two tables that still met on one id, so a node never names another
 * table's string (two windows, a restarted capture loop, a second shim). Before each walk
 * [resetIfFull] starts a new table at the size the core said (`CaptureDecision`), so a long
 * session with ever new strings never reaches its limits.
 *
 * Not thread-safe: one thread (Android's main thread) walks, submits and commits.
 */
class NodeStringTable(private val newTableId: () -> ULong = ::randomTableId) {
    /** This table's id, as the core sees it. */
    var table: ULong = newTableId()
        private set
    private val index = HashMap<String, UInt>()
    /** How many strings the core has: the index of `pending[0]`. */
    private var base = 0u
    /** [digest] of the strings before [base]. */
    private var digest = DIGEST_SEED
    /** Interned since the last committed update, as sent (well-formed UTF-16). */
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
        // What the core receives: the binding refuses a lone surrogate (the whole submit would
        // throw), so it travels as U+FFFD, and the digest is taken over the same text.
        val sent = wellFormed(s)
        pending.add(sent)
        bytes += utf8Length(sent)
        return i
    }

    /** What to send with the next submit: the strings the core does not have yet. */
    fun update(): NodeStrings =
        NodeStrings(table, base, digest, if (pending.isEmpty()) emptyList() else ArrayList(pending))

    /**
     * The core applied [sent] (the submit carrying it returned). Strings interned after it was
     * taken stay pending; an update of an earlier table (a reset came in between), or one
     * already committed, changes nothing.
     */
    fun committed(sent: NodeStrings) {
        if (sent.table != table || sent.base != base || sent.added.size > pending.size) return
        val done = pending.subList(0, sent.added.size)
        for (s in done) digest = digest(digest, s)
        base += sent.added.size.toUInt()
        done.clear()
    }

    /** Starts a new table: nodes walked before this name strings no one will send. */
    fun reset() {
        val old = table
        table = newTableId().let { if (it == old) it + 1u else it }
        index.clear()
        pending.clear()
        base = 0u
        digest = DIGEST_SEED
        bytes = 0L
    }

    /**
     * Resets when the table holds [maxStrings] strings or [maxBytes] UTF-8 bytes (the core's
     * `CaptureDecision.stringsReset*`, carried by [CaptureRequest]); true if it did.
     */
    fun resetIfFull(maxStrings: Int, maxBytes: Long): Boolean {
        if (index.size < maxStrings && bytes < maxBytes) return false
        reset()
        return true
    }

    companion object {
        /** The digest of an empty table (`strings::DIGEST_SEED`: the FNV-1a 64 offset basis). */
        const val DIGEST_SEED: ULong = 0xcbf29ce484222325uL
        private const val PRIME: ULong = 0x100000001b3uL
        private val random by lazy { SecureRandom() }

        /** A table id from the OS's random source. */
        fun randomTableId(): ULong = random.nextLong().toULong()

        /**
         * The running digest (`strings::digest` in the core): [h] extended by [s], FNV-1a 64
         * over its UTF-8 bytes, then 0xFF (a byte UTF-8 never holds, so boundaries count).
         */
        fun digest(h: ULong, s: String): ULong {
            var d = h
            for (b in s.toByteArray(Charsets.UTF_8)) d = (d xor (b.toULong() and 0xffuL)) * PRIME
            return (d xor 0xffuL) * PRIME
        }

        /** [s] with each lone surrogate replaced by U+FFFD (the same string if it has none). */
        internal fun wellFormed(s: String): String {
            var i = 0
            while (i < s.length) {
                val c = s[i]
                if (Character.isHighSurrogate(c) && i + 1 < s.length && Character.isLowSurrogate(s[i + 1])) {
                    i += 2
                    continue
                }
                if (Character.isSurrogate(c)) return replaceLoneSurrogates(s)
                i++
            }
            return s
        }

        private fun replaceLoneSurrogates(s: String): String {
            val out = StringBuilder(s.length)
            var i = 0
            while (i < s.length) {
                val c = s[i]
                if (Character.isHighSurrogate(c) && i + 1 < s.length && Character.isLowSurrogate(s[i + 1])) {
                    out.append(c).append(s[i + 1])
                    i += 2
                    continue
                }
                out.append(if (Character.isSurrogate(c)) '\uFFFD' else c)
                i++
            }
            return out.toString()
        }

        private fun utf8Length(s: String): Long {
            var n = 0L
            var i = 0
            while (i < s.length) {
                val c = s[i]
                n += when {
                    c.code < 0x80 -> 1
                    c.code < 0x800 -> 2
                    // A surrogate pair is one 4-byte code point ([wellFormed] left no lone one).
                    Character.isHighSurrogate(c) && i + 1 < s.length && Character.isLowSurrogate(s[i + 1]) -> { i++; 4 }
                    else -> 3
                }
                i++
            }
            return n
        }
    }
}
