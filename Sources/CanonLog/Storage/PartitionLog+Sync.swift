import Foundation

/// Making appends durable and visible: sync tickets, publishing, recovery checkpoints, the clean close.
extension PartitionLog {
    /// What one `fdatasync` of the active segment covers: taken before the sync (on the partition's
    /// thread), the sync itself may run on any thread, and ``completeSync(_:error:)`` publishes exactly
    /// what was covered. Appends may continue meanwhile; the next sync covers them.
    public struct SyncTicket: Sendable {
        public let handle: LogFileHandle
        let log: UInt64
        let segmentBase: Int64
        let position: Int
        /// Records below this offset are covered.
        public let nextOffset: Int64
        /// The active segment's timestamps as of the ticket (a checkpoint must not name later ones).
        let maxTimestamp: Int64
        let offsetOfMaxTimestamp: Int64
        let rollTimestamp: Int64
        /// The partition's acknowledged-mark file and what it says once this sync is done.
        let markHandle: LogFileHandle
        let mark: AcknowledgedMark
        /// Keeps the files open until this sync is over.
        let lease: FileLease

        /// Runs the sync (on any thread), once: the segment's `fdatasync`, then the acknowledged mark
        /// written and synced, in that order (the mark never claims data that is not durable). The
        /// files may be closed once it returns. Returns the failure, if any, and whether the segment's
        /// data was made durable (then the mark may name it, and it must not be taken back).
        public func perform(on fs: any LogFileSystem) -> (error: LogError?, dataDurable: Bool) {
            defer { lease.release() }
            do { try fs.sync(handle) } catch { return (error, false) }
            do {
                try fs.write(markHandle, mark.bytes, at: 0)
                try fs.sync(markHandle)
            } catch {
                return (error, true)
            }
            return (nil, true)
        }
    }

    /// A ticket for syncing everything appended so far, or nil when nothing awaits a sync (or the
    /// partition is read-only).
    public func beginSync() -> SyncTicket? {
        if isParked, state == .writable, syncedNextOffset < nextOffset || durableNextOffset < nextOffset {
            do {
                try unpark()
            } catch {
                state = .readOnly(reason: "could not reopen the partition's files to sync them: \(error.message)")
                return nil
            }
        }
        guard state == .writable, syncedNextOffset < nextOffset || durableNextOffset < nextOffset, !isParked, let active = segments.last,
            let markHandle
        else {
            return nil
        }
        lease.acquire()
        return SyncTicket(
            handle: active.handle, log: generation, segmentBase: active.baseOffset, position: active.size, nextOffset: nextOffset,
            maxTimestamp: active.index.maxTimestamp, offsetOfMaxTimestamp: active.index.offsetOfMaxTimestamp,
            rollTimestamp: active.rollTimestamp, markHandle: markHandle,
            mark: AcknowledgedMark(segmentBase: active.baseOffset, position: active.size, nextOffset: nextOffset), lease: lease)
    }

    /// Finishes a sync: on success, everything the ticket covers becomes durable and visible (and a
    /// recovery checkpoint is written every `checkpointIntervalBytes`); on failure the partition becomes
    /// read-only until it is opened (and recovered) again: a failed sync is never retried into a success.
    /// `dataDurable`: the segment's sync succeeded (only the mark's failed): its bytes stay, since the
    /// mark may already name them.
    public func completeSync(_ ticket: SyncTicket, error: LogError?, dataDurable: Bool = false) throws(LogError) {
        guard ticket.log == generation else {
            throw LogError(.io, "a sync ticket of another partition log (the topic was deleted or recreated)", location: location())
        }
        if dataDurable { syncedNextOffset = max(syncedNextOffset, ticket.nextOffset) }
        if let error {
            state = .readOnly(reason: "fdatasync failed: \(error.message)")
            throw error
        }
        if let error = readOnlyError() { throw error }
        guard let active = segments.last else { return }
        if ticket.segmentBase == active.baseOffset, ticket.position > syncedPosition {
            syncedPosition = min(ticket.position, active.size)
        }
        syncedNextOffset = max(syncedNextOffset, ticket.nextOffset)
        publish(upTo: ticket.nextOffset)
        if ticket.segmentBase == active.baseOffset,
            checkpointPosition < 0 || syncedPosition - checkpointPosition >= configuration.checkpointIntervalBytes
        {
            do {
                try writeCheckpoint(timestamps: (ticket.maxTimestamp, ticket.offsetOfMaxTimestamp, ticket.rollTimestamp))
            } catch {
                state = .readOnly(reason: "could not write the recovery checkpoint: \(error.message)")
                throw error
            }
        }
    }

    /// Makes every appended batch durable (`fdatasync`) and visible (``beginSync()``, the sync,
    /// ``completeSync(_:error:)`` in one call).
    public func flush() throws(LogError) {
        if let error = readOnlyError() { throw error }
        guard let ticket = beginSync() else { return }
        let outcome = ticket.perform(on: fs)
        try completeSync(ticket, error: outcome.error, dataDurable: outcome.dataDurable)
    }

    /// Makes appended batches visible without making them durable: the `never` and `interval` flush
    /// policies, where the OS (or the interval flush) decides when data reaches the disk.
    public func publishWithoutSync() {
        publish(upTo: nextOffset)
    }

    /// Whether `checkpointIntervalBytes` were appended since the last recovery checkpoint: under the
    /// `never` and `interval` policies the partition then gets a flush nobody waits for, so that a
    /// restart after a crash rescans little.
    public var checkpointDue: Bool {
        guard let active = segments.last, state == .writable else { return false }
        return active.size - max(checkpointPosition, 0) >= configuration.checkpointIntervalBytes
    }

    func publish(upTo offset: Int64) {
        guard offset > durableNextOffset else { return }
        durableNextOffset = offset
        pending.removeAll { $0.offset < offset }
    }

    /// Writes the recovery checkpoint at the active segment's synced end: index files first (synced),
    /// then the checkpoint file (temporary file, sync, rename, directory sync).
    /// `timestamps` are the active segment's (largest, its offset, first batch's) as of the synced
    /// position; the current ones when nil (everything is synced).
    func writeCheckpoint(timestamps: (max: Int64, offset: Int64, roll: Int64)? = nil) throws(LogError) {
        var active = segments[segments.count - 1]
        let timestamps = timestamps ?? (active.index.maxTimestamp, active.index.offsetOfMaxTimestamp, active.rollTimestamp)
        let position = min(syncedPosition, active.size)
        // Only entries for batches below the synced position may be named by the checkpoint.
        let offsetEntries = active.index.offsets.prefix { Int($0.position) < position }.count
        let syncedNext = position == active.size ? active.nextOffset : min(syncedNextOffset, active.nextOffset)
        let timeEntries = active.index.times.prefix { active.baseOffset + Int64($0.relativeOffset) < syncedNext }.count
        try persistIndexes(&active, sync: true)
        segments[segments.count - 1] = active
        let checkpoint = RecoveryCheckpoint(
            baseOffset: active.baseOffset, position: position, nextOffset: syncedNext, rollTimestamp: timestamps.roll,
            maxTimestamp: timestamps.max, offsetOfMaxTimestamp: timestamps.offset,
            offsetEntries: offsetEntries, timeEntries: timeEntries)
        guard checkpoint != lastCheckpoint else { return }
        try SmallFile.writeDurably(checkpoint.text, to: checkpointPath, fileSystem: fs)
        lastCheckpoint = checkpoint
        checkpointPosition = position
    }

    /// Flushes, writes index files and the recovery checkpoint at the end of the log (a clean stop).
    /// Returns false when the partition is read-only (its checkpoint cannot be trusted to be the end).
    @discardableResult
    public func close() -> Bool {
        guard state == .writable else { return false }
        do {
            try flush()
            try writeCheckpoint()
            return true
        } catch {
            return false
        }
    }
}
