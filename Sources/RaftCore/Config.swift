/// Deliberate bugs from the bug zoo (docs/bug-zoo.md), for measuring the checker.
///
/// TEST-ONLY. Each re-creates a mechanism that broke a real Raft implementation. The default
/// is none; a production configuration MUST NOT set any.
@_spi(Checker) public struct Mutation: OptionSet, Hashable, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The leader commits entries of earlier terms by counting replicas (Figure 8).
    public static let commitPreviousTerm = Mutation(rawValue: 1 << 0)
    /// Vote responses leave before the vote and term are durable.
    public static let voteBeforePersist = Mutation(rawValue: 1 << 1)
    /// Votes are granted without comparing the candidate's last log term and index.
    public static let skipLogUpToDateCheck = Mutation(rawValue: 1 << 2)
    /// A follower appends without checking the term at the previous index.
    public static let skipPrevLogCheck = Mutation(rawValue: 1 << 3)
    /// Stepping down to follower within the same term clears the vote.
    public static let forgetVoteOnStepDown = Mutation(rawValue: 1 << 4)
    /// A follower replaces its log after the previous index with every append's entries, even
    /// when they match (a delayed, shorter append deletes acknowledged entries).
    public static let truncateOnMatchingAppend = Mutation(rawValue: 1 << 5)
    /// A candidate counts every granted response, repeats from one voter included.
    public static let countDuplicateVotes = Mutation(rawValue: 1 << 6)
    /// A candidate counts granted responses from an earlier term.
    public static let countStaleVotes = Mutation(rawValue: 1 << 7)
    /// A majority is `n / 2` voters instead of `n / 2 + 1`.
    public static let quorumOffByOne = Mutation(rawValue: 1 << 8)
    /// The term is kept in memory only: the persisted hard state always says term 0.
    public static let termNotPersisted = Mutation(rawValue: 1 << 9)
    /// The leader accepts a configuration change while an earlier one is unapplied.
    public static let twoPendingConfChanges = Mutation(rawValue: 1 << 10)
    /// ReadIndex is served before the leader committed an entry of its own term.
    public static let readIndexBeforeTermCommit = Mutation(rawValue: 1 << 11)
    /// Heartbeats carry the leader's whole commit index, and a follower commits up to its own
    /// last index whether or not its log is known to match the leader's.
    public static let heartbeatCommitUnsynced = Mutation(rawValue: 1 << 12)
    /// A snapshot whose index and term the log already holds replaces the whole log, dropping
    /// the acknowledged entries after it.
    public static let snapshotReplacesMatchingLog = Mutation(rawValue: 1 << 13)
    /// In a joint configuration, commit and elections count the incoming half only.
    public static let jointQuorumIncomingOnly = Mutation(rawValue: 1 << 14)
    /// A candidate counts a late pre-vote grant for its term as a vote.
    public static let countPreVotesAsVotes = Mutation(rawValue: 1 << 15)
    /// Granting a pre-vote records it as the node's vote in its current term.
    public static let preVoteRecordsVote = Mutation(rawValue: 1 << 16)
    /// A transfer campaign's vote requests are granted without comparing logs: the leader that
    /// sent TimeoutNow is trusted to have caught the transferee up.
    public static let transferVoteSkipsLogCheck = Mutation(rawValue: 1 << 17)
    /// A leader's lease outlives its TimeoutNow: the transferee's campaign, which overrides
    /// leader stickiness, can win while the old leader still serves lease reads.
    public static let leaseSurvivesTransfer = Mutation(rawValue: 1 << 18)
    /// A leader serves lease reads for as long as CheckQuorum keeps it leader, without timing
    /// the heartbeat round that confirmed it (up to two election timeouts after it was cut off).
    public static let leaseTrustsCheckQuorum = Mutation(rawValue: 1 << 19)
    /// Liveness: the election timeout is always `electionTicks`, never randomized, so nodes
    /// that time out together split the vote again and again.
    public static let electionTimeoutNotRandomized = Mutation(rawValue: 1 << 20)
    /// Liveness: a follower's election timer is not reset by the leader's appends and
    /// heartbeats, so followers keep campaigning against a healthy leader.
    public static let heartbeatKeepsElectionTimer = Mutation(rawValue: 1 << 21)
    /// Liveness: a rejected append does not move the follower's next index back, so the
    /// leader asks about the same index forever and the follower never catches up.
    public static let rejectionKeepsNextIndex = Mutation(rawValue: 1 << 22)
    /// Liveness: a pre-vote is granted only to a strictly longer log (by a node that has seen
    /// a term), so nodes with equal logs never get past the pre-vote once a leader is lost.
    public static let preVoteNeedsLongerLog = Mutation(rawValue: 1 << 23)
    /// Liveness: heartbeat responses do not count as activity for CheckQuorum, so a leader of
    /// an idle, healthy cluster steps down every election timeout.
    public static let checkQuorumIgnoresHeartbeats = Mutation(rawValue: 1 << 24)
    /// A node campaigns while configuration changes it knows committed are not applied yet, so
    /// it counts votes in a configuration more than one change behind the others' and two
    /// candidates win one term with disjoint quorums.
    public static let campaignWithUnappliedConfChanges = Mutation(rawValue: 1 << 25)
    /// A leader's lease lasts one tick longer than the clock bound allows: a follower whose
    /// clock ran behind may already have voted for a new leader when the old one still reads.
    public static let leaseOneTickTooLong = Mutation(rawValue: 1 << 26)
    /// A heartbeat response confirms every waiting ReadIndex request, also those that arrived
    /// after its heartbeat was sent: a response delayed across a new leader's election and
    /// first commit releases a stale read.
    public static let readAckedByEarlierRound = Mutation(rawValue: 1 << 27)
    /// A node that heard from a leader within its election timeout refuses pre-votes but grants
    /// votes: without PreVote a candidate wins while the old leader's lease still holds, and the
    /// old leader serves a stale lease read.
    public static let voteIgnoresLease = Mutation(rawValue: 1 << 28)
    /// A configuration of one voter answers reads at once on any leader, also on one that
    /// removed itself and leads on without counting itself: it is not the voter, which may
    /// already follow a newer leader.
    public static let removedLeaderReadsAlone = Mutation(rawValue: 1 << 29)
    /// A node that loses leadership keeps the reads it was confirming: once it leads again,
    /// the first quorum of heartbeat acknowledgements answers them with the read index of the
    /// earlier term, which may miss writes a leader in between committed.
    public static let readsSurviveStepDown = Mutation(rawValue: 1 << 30)
    /// CheckQuorum never forgets which peers it heard from: a leader that was ever acknowledged
    /// by a quorum passes every later check, and one cut off from the quorum never steps down.
    public static let checkQuorumNeverResets = Mutation(rawValue: 1 << 31)
    /// A write's acknowledgement marks the log durable up to its last index whatever the entry
    /// there now is: entries a new leader wrote over the ones being persisted are taken for
    /// written, never reach storage, and the node acknowledges entries it does not hold.
    public static let stableToIgnoresTerm = Mutation(rawValue: 1 << 32)
    /// Liveness: each node's timeout generator starts at `seed ^ id·γ`, γ being the increment
    /// the generator adds at each draw, so node 2 draws what node 1 draws one draw later: two
    /// nodes that stepped down together may time out together in every term.
    public static let correlatedTimeoutStreams = Mutation(rawValue: 1 << 33)
    /// Liveness: a leader proposes leaving a joint configuration automatically only when it
    /// applies entries. Refused while a transfer is pending, the proposal is not made again
    /// when the transfer is given up, so an idle cluster stays joint.
    public static let autoLeaveOnlyOnApply = Mutation(rawValue: 1 << 34)
    /// Liveness: a transfer that does not finish is never given up, so the leader refuses
    /// writes for as long as it leads.
    public static let transferNeverAbandoned = Mutation(rawValue: 1 << 35)
    /// Liveness: ReadIndex requests a new leader holds until its term's first commit are never
    /// answered (they are dropped, with no reply to the client).
    public static let heldReadsNeverAnswered = Mutation(rawValue: 1 << 36)
    /// Liveness: a report that sending a snapshot failed is ignored, so the leader waits for a
    /// snapshot that never arrives and sends the follower nothing more.
    public static let snapshotFailureIgnored = Mutation(rawValue: 1 << 37)
    /// A follower restores a snapshot at or below its commit index (a late or repeated one)
    /// when its log does not hold the snapshot's last entry, so its log, commit index and
    /// state machine go back.
    public static let snapshotBelowCommitRestored = Mutation(rawValue: 1 << 38)
    /// A follower that restores a snapshot keeps its own membership configuration instead of
    /// the one the snapshot carries, missing the changes the snapshot holds.
    public static let snapshotKeepsOldConfig = Mutation(rawValue: 1 << 39)

    /// Every mutation with its stable name (as used on the command line and in traces).
    public static let named: [(name: String, mutation: Mutation)] = [
        ("commit-previous-term", .commitPreviousTerm),
        ("vote-before-persist", .voteBeforePersist),
        ("skip-log-up-to-date-check", .skipLogUpToDateCheck),
        ("skip-prev-log-check", .skipPrevLogCheck),
        ("forget-vote-on-step-down", .forgetVoteOnStepDown),
        ("truncate-on-matching-append", .truncateOnMatchingAppend),
        ("count-duplicate-votes", .countDuplicateVotes),
        ("count-stale-votes", .countStaleVotes),
        ("quorum-off-by-one", .quorumOffByOne),
        ("term-not-persisted", .termNotPersisted),
        ("two-pending-conf-changes", .twoPendingConfChanges),
        ("read-index-before-term-commit", .readIndexBeforeTermCommit),
        ("heartbeat-commit-unsynced", .heartbeatCommitUnsynced),
        ("snapshot-replaces-matching-log", .snapshotReplacesMatchingLog),
        ("joint-quorum-incoming-only", .jointQuorumIncomingOnly),
        ("count-prevotes-as-votes", .countPreVotesAsVotes),
        ("pre-vote-records-vote", .preVoteRecordsVote),
        ("transfer-vote-skips-log-check", .transferVoteSkipsLogCheck),
        ("lease-survives-transfer", .leaseSurvivesTransfer),
        ("lease-trusts-check-quorum", .leaseTrustsCheckQuorum),
        ("election-timeout-not-randomized", .electionTimeoutNotRandomized),
        ("heartbeat-keeps-election-timer", .heartbeatKeepsElectionTimer),
        ("rejection-keeps-next-index", .rejectionKeepsNextIndex),
        ("pre-vote-needs-longer-log", .preVoteNeedsLongerLog),
        ("check-quorum-ignores-heartbeats", .checkQuorumIgnoresHeartbeats),
        ("campaign-with-unapplied-conf-changes", .campaignWithUnappliedConfChanges),
        ("lease-one-tick-too-long", .leaseOneTickTooLong),
        ("read-acked-by-earlier-round", .readAckedByEarlierRound),
        ("vote-ignores-lease", .voteIgnoresLease),
        ("removed-leader-reads-alone", .removedLeaderReadsAlone),
        ("reads-survive-step-down", .readsSurviveStepDown),
        ("check-quorum-never-resets", .checkQuorumNeverResets),
        ("stable-to-ignores-term", .stableToIgnoresTerm),
        ("correlated-timeout-streams", .correlatedTimeoutStreams),
        ("auto-leave-only-on-apply", .autoLeaveOnlyOnApply),
        ("transfer-never-abandoned", .transferNeverAbandoned),
        ("held-reads-never-answered", .heldReadsNeverAnswered),
        ("snapshot-failure-ignored", .snapshotFailureIgnored),
        ("snapshot-below-commit-restored", .snapshotBelowCommitRestored),
        ("snapshot-keeps-old-config", .snapshotKeepsOldConfig),
    ]

    public init?(name: String) {
        guard let found = Mutation.named.first(where: { $0.name == name }) else { return nil }
        self = found.mutation
    }

    /// The names of the mutations in this set, in `named` order.
    public var names: [String] { Mutation.named.filter { contains($0.mutation) }.map(\.name) }
}

/// How a node is configured. Only `id` is required.
public struct Config: Hashable, Sendable {
    /// This node's ID; never `.none`.
    public var id: NodeID
    /// Ticks without hearing from a leader before a follower campaigns; the actual timeout is
    /// drawn from `[electionTicks, 2 × electionTicks)` after every reset. Also the CheckQuorum
    /// period, and (less twice `maxClockDriftTicks`) the length of a leader's lease.
    public var electionTicks = 10
    /// Ticks between a leader's heartbeats. Must be below `electionTicks`.
    public var heartbeatTicks = 1
    /// The last index the application applied before this start (0 for none).
    public var applied = LogIndex.zero
    /// The payload bytes an append may carry (at least one entry is always sent).
    public var maxSizePerMessage = UInt64.max
    /// The payload bytes of committed entries one Ready hands out (at least one entry).
    public var maxCommittedSizePerReady = UInt64.max
    /// Appends in flight to a follower in replicate state before the leader waits for acks.
    public var maxInflightMessages = 256
    /// A leader steps down when it has not heard from a quorum within an election timeout;
    /// followers then ignore vote requests while they have a leader (leader stickiness).
    public var checkQuorum = false
    /// Campaign first as a pre-candidate, without changing the term (thesis §9.6).
    public var preVote = false
    /// Followers drop proposals instead of forwarding them to the leader.
    public var disableProposalForwarding = false
    /// A leader removed from (or demoted in) the configuration steps down once the change is
    /// applied, instead of leading on without counting itself.
    public var stepDownOnRemoval = false
    /// How ReadIndex confirms leadership: a heartbeat round to a quorum (`.safe`), or the
    /// leader's lease (`.leaseBased`, which requires CheckQuorum and bounded clock drift).
    public var readOnlyOption = ReadOnlyOption.safe
    /// Lease reads only: how many ticks any two nodes' clocks may drift apart. A lease lasts
    /// `electionTicks − 2 × maxClockDriftTicks` of the leader's ticks from the sending of the
    /// heartbeat round a quorum acknowledged; it is only as safe as this bound.
    public var maxClockDriftTicks = 0
    /// Seeds the node's election-timeout generator (mixed with `id`).
    public var randomSeed: UInt64 = 0
    /// TEST-ONLY deliberate bugs; see `Mutation`.
    @_spi(Checker) public var mutations: Mutation = []

    public init(id: NodeID) { self.id = id }

    public enum Invalid: Error, Hashable, Sendable, CustomStringConvertible {
        case noneID
        case heartbeatTicks
        case electionTicks
        case maxInflightMessages
        case leaseWithoutCheckQuorum
        case leaseTooShort

        public var description: String {
            switch self {
            case .noneID: "id must not be 0"
            case .heartbeatTicks: "heartbeatTicks must be positive"
            case .electionTicks: "electionTicks must be greater than heartbeatTicks"
            case .maxInflightMessages: "maxInflightMessages must be positive"
            case .leaseWithoutCheckQuorum: "lease-based reads require checkQuorum"
            case .leaseTooShort: "lease-based reads require 0 ≤ 2 × maxClockDriftTicks < electionTicks"
            }
        }
    }

    public func validate() throws(Invalid) {
        if id == .none { throw .noneID }
        if heartbeatTicks <= 0 { throw .heartbeatTicks }
        if electionTicks <= heartbeatTicks { throw .electionTicks }
        if maxInflightMessages <= 0 { throw .maxInflightMessages }
        if readOnlyOption == .leaseBased && !checkQuorum { throw .leaseWithoutCheckQuorum }
        // 2 × drift < electionTicks, without overflow.
        if readOnlyOption == .leaseBased && !(0...(electionTicks - 1) / 2).contains(maxClockDriftTicks) { throw .leaseTooShort }
    }

    /// Lease reads: how long a lease lasts, in the leader's ticks (positive once validated).
    var leaseTicks: Int { electionTicks - 2 * maxClockDriftTicks }
}

/// How a leader confirms it is still the leader before serving a read.
public enum ReadOnlyOption: UInt8, Hashable, Sendable {
    /// A heartbeat round acknowledged by a quorum after the read arrived (ReadIndex).
    case safe
    /// The leader's lease: no other leader can exist while CheckQuorum keeps it in office.
    case leaseBased
}
