/* A memo of the field values the candidate index (cqlmatch._candidates)
 * has scanned in field mode, and what the scan found in each: telemetry
 * repeats its values (the same image paths, user names, platforms and
 * often the same command lines), and a scan over a pack's thousands of
 * literals costs far more per byte than hashing and comparing.
 *
 * Entries are keyed by a salt (the scanner that found the ids) and the
 * value's bytes; each holds the ids found, in the order found.  A value is
 * remembered the second time it is scanned (a table of the hashes of
 * values scanned once admits it): most long command lines are seen once,
 * and would fill the memo for nothing.  The memo is bounded: once it holds
 * MEMO_ENTRIES values or MEMO_BYTES bytes of keys and ids, it is emptied
 * and fills again (telemetry's common values return at once). */
#ifndef CQLMATCH_VALUEMEMO_H
#define CQLMATCH_VALUEMEMO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <vector>

#define CQM_MEMO_ENTRIES (1u << 16)
#define CQM_MEMO_BYTES ((size_t)16 << 20)
#define CQM_MEMO_VALUE_MOST 4096 /* longer values are scanned every time */
#define CQM_MEMO_SEEN (1u << 16)  /* hashes of values scanned once (direct-mapped) */

static inline uint64_t cqm_memo_hash(const char* data, size_t size, uint64_t salt) {
    const uint64_t mul = 0x9E3779B97F4A7C15ull;
    uint64_t h = (salt + 1) * mul ^ (uint64_t)size;
    size_t i = 0;
    uint64_t word;
    for (; i + 8 <= size; i += 8) {
        memcpy(&word, data + i, 8);
        h = (h ^ word) * mul;
        h ^= h >> 32;
    }
    if (i < size) {
        word = 0;
        memcpy(&word, data + i, size - i);
        h = (h ^ word) * mul;
        h ^= h >> 32;
    }
    return h | 1; /* (0 marks an empty slot) */
}

struct cqm_value_memo {
    std::vector<uint64_t> slot_hash; /* per slot: the hash, 0 when empty */
    std::vector<uint32_t> slot_entry;
    std::vector<uint64_t> entry_salt;
    std::vector<uint32_t> entry_key_at, entry_key_len, entry_ids_at, entry_ids_len;
    std::vector<char> keys;
    std::vector<int32_t> ids;
    std::vector<uint64_t> seen; /* per slot: the hash of a value scanned once */

    /* Empty; its slot table is made when the first value is added. */
    void release() {
        std::vector<uint64_t>().swap(slot_hash);
        std::vector<uint32_t>().swap(slot_entry);
        std::vector<uint64_t>().swap(seen);
        forget();
    }

    /* Whether a value of this hash (from find) was scanned before: then it
     * is worth remembering; else its hash is noted. */
    bool admits(uint64_t hash) {
        if (seen.empty()) seen.assign(CQM_MEMO_SEEN, 0);
        uint64_t* slot = &seen[(size_t)(hash >> 16) & (CQM_MEMO_SEEN - 1)];
        if (*slot == hash) return true;
        *slot = hash;
        return false;
    }

    void forget() {
        entry_salt.clear();
        entry_key_at.clear();
        entry_key_len.clear();
        entry_ids_at.clear();
        entry_ids_len.clear();
        keys.clear();
        ids.clear();
    }

    /* The entry of (salt, data[0:size)), or -1; *hash_out: its hash (for add). */
    long find(uint64_t salt, const char* data, size_t size, uint64_t* hash_out) const {
        uint64_t h = cqm_memo_hash(data, size, salt);
        *hash_out = h;
        if (slot_hash.empty()) return -1;
        size_t mask = slot_hash.size() - 1, s = (size_t)h & mask;
        while (slot_hash[s] != 0) {
            if (slot_hash[s] == h) {
                uint32_t e = slot_entry[s];
                if (entry_salt[e] == salt && entry_key_len[e] == size &&
                    (size == 0 || memcmp(&keys[entry_key_at[e]], data, size) == 0))
                    return (long)e;
            }
            s = (s + 1) & mask;
        }
        return -1;
    }

    /* Remember found[0:n) for (salt, data[0:size)) under hash (from find);
     * a value too long is not remembered, and a full memo is emptied first. */
    void add(uint64_t hash, uint64_t salt, const char* data, size_t size, const int32_t* found,
             size_t n) {
        if (size > CQM_MEMO_VALUE_MOST) return;
        if (slot_hash.empty() || entry_salt.size() + 1 > CQM_MEMO_ENTRIES ||
            keys.size() + size + (ids.size() + n) * sizeof(int32_t) > CQM_MEMO_BYTES) {
            slot_hash.assign((size_t)CQM_MEMO_ENTRIES * 2, 0);
            slot_entry.assign((size_t)CQM_MEMO_ENTRIES * 2, 0);
            forget();
        }
        size_t mask = slot_hash.size() - 1, s = (size_t)hash & mask;
        while (slot_hash[s] != 0) s = (s + 1) & mask;
        slot_hash[s] = hash;
        slot_entry[s] = (uint32_t)entry_salt.size();
        entry_salt.push_back(salt);
        entry_key_at.push_back((uint32_t)keys.size());
        entry_key_len.push_back((uint32_t)size);
        entry_ids_at.push_back((uint32_t)ids.size());
        entry_ids_len.push_back((uint32_t)n);
        keys.insert(keys.end(), data, data + size);
        ids.insert(ids.end(), found, found + n);
    }

    size_t entries() const { return entry_salt.size(); }

    const int32_t* ids_of(long entry, size_t* n) const {
        *n = entry_ids_len[entry];
        return ids.data() + entry_ids_at[entry];
    }
};

#endif
