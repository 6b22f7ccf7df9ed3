/// Message dispatch: first what every role shares (the message's term, votes), then one
/// `step<Role>` per role, each a single switch on the message type.
extension Raft {
    enum CampaignKind { case preElection, election }

    /// Processes one message (from a peer, or local with term 0).
    mutating func step(_ m: Message) throws(RaftError) {
        if m.term > term {
            if m.type == .vote || m.type == .preVote {
                // Leader stickiness (rule 10): while a leader is heard from within the election
                // timeout, a vote request is disruption, unless it is a transfer campaign.
                let inLease = options.checkQuorum && (leader != .none || quietSinceStart) && electionElapsed < options.electionTicks
                let refuses = m.type == .preVote || !options.mutations.contains(.voteIgnoresLease)
                if inLease && !m.campaignTransfer && refuses { return }
            }
            switch m.type {
            case .preVote:
                break  // Never adopt a pre-vote's term (rule 8).
            case .preVoteResponse where !m.reject:
                break  // The term is taken when the pre-election is won.
            case .append, .heartbeat, .snapshot:
                becomeFollower(term: m.term, leader: m.from)
            default:
                becomeFollower(term: m.term, leader: .none)
            }
        } else if m.term < term, m.term != .zero {
            if options.mutations.contains(.countStaleVotes) && m.type == .voteResponse && role == .candidate {
                try stepCandidate(m)  // Counts a vote cast in an earlier term.
                return
            }
            if (options.checkQuorum || options.preVote) && (m.type == .heartbeat || m.type == .append) {
                // A stale leader (or a node partitioned away that came back) learns our term and
                // steps down; otherwise it could stay stuck disrupting nobody but itself (rule 7).
                send(Message(type: .appendResponse, to: m.from))
            } else if m.type == .preVote {
                send(Message(type: .preVoteResponse, to: m.from, term: term, reject: true))
            }
            return
        }

        switch m.type {
        case .vote, .preVote:
            handleVoteRequest(m)
        default:
            switch role {
            case .leader: try stepLeader(m)
            case .candidate, .preCandidate: try stepCandidate(m)
            case .follower: try stepFollower(m)
            }
        }
    }

    // MARK: Elections

    /// Campaigns, unless this node leads, is not a voter, or has a committed configuration
    /// change it has not applied yet (it may not be a voter in it; rule 15).
    mutating func hup(transfer: Bool) {
        let unapplied = log.hasUnappliedConfChanges && !options.mutations.contains(.campaignWithUnappliedConfChanges)
        guard role != .leader, isPromotable, !unapplied else { return }
        campaign(options.preVote && !transfer ? .preElection : .election, transfer: transfer)
    }

    mutating func campaign(_ kind: CampaignKind, transfer: Bool = false) {
        let request: MessageType
        let electionTerm: Term
        switch kind {
        case .preElection:
            becomePreCandidate()
            request = .preVote
            electionTerm = term + 1  // The term it would take; its own term stays.
        case .election:
            becomeCandidate()
            request = .vote
            electionTerm = term
        }
        let response: MessageType = request == .vote ? .voteResponse : .preVoteResponse
        for voter in tracker.voterIDs {
            if voter == id {
                // The self-vote counts once it is durable (rule 2).
                send(Message(type: response, to: id, term: electionTerm))
            } else {
                send(Message(type: request, to: voter, term: electionTerm, logTerm: log.lastTerm,
                             index: log.lastIndex, campaignTransfer: transfer))
            }
        }
    }

    /// Rule 9: grant iff the candidate's log is at least as up to date and this node has not
    /// voted for another in the term (a pre-vote for a later term is always "not yet voted").
    private mutating func handleVoteRequest(_ m: Message) {
        let response: MessageType = m.type == .vote ? .voteResponse : .preVoteResponse
        let canVote = vote == m.from
            || (vote == .none && leader == .none)
            || (m.type == .preVote && m.term > term)
        let upToDate = options.mutations.contains(.skipLogUpToDateCheck)
            || (m.campaignTransfer && options.mutations.contains(.transferVoteSkipsLogCheck))
            || log.isUpToDate(lastIndex: m.index, lastTerm: m.logTerm)
                && !(m.type == .preVote && options.mutations.contains(.preVoteNeedsLongerLog) && term > .zero
                     && m.logTerm == log.lastTerm && m.index == log.lastIndex)
        if canVote && upToDate {
            // A pre-vote answers in the term of the request, which this node did not adopt.
            send(Message(type: response, to: m.from, term: m.term))
            if m.type == .vote || options.mutations.contains(.preVoteRecordsVote) {
                electionElapsed = 0
                vote = m.from
            }
        } else {
            send(Message(type: response, to: m.from, term: term, reject: true))
        }
    }

    /// Records a vote answer and returns the election result so far.
    private mutating func poll(_ voter: NodeID, granted: Bool) -> VoteResult {
        tracker.recordVote(voter, granted: granted)
        return tracker.tallyVotes().result
    }

    // MARK: Roles

    private mutating func stepLeader(_ m: Message) throws(RaftError) {
        switch m.type {
        case .propose:
            precondition(!m.entries.isEmpty, "empty proposal")
            // No proposals while handing over leadership (rule 19).
            guard tracker.tracks(id), leadTransferee == .none else { throw .proposalDropped }
            var entries = m.entries
            screenConfChanges(&entries)
            appendEntries(entries)
            bcastAppend()
            return
        case .readIndex:
            handleReadIndex(m)
            return
        default:
            break
        }
        guard tracker.tracks(m.from) else { return }
        switch m.type {
        case .appendResponse:
            handleAppendResponse(m)
        case .heartbeatResponse:
            handleHeartbeatResponse(m)
        case .snapshotStatus:
            handleSnapshotStatus(from: m.from, failed: m.reject)
        case .unreachable:
            tracker.update(m.from) { if $0.state == .replicate { $0.becomeProbe() } }
        case .transferLeader:
            handleTransferLeader(m)
        default:
            break
        }
    }

    /// CheckQuorum (rule 11): step down unless a quorum was heard from since the last round.
    mutating func stepLeaderCheckQuorum() {
        if !tracker.quorumActive(leader: id) {
            becomeFollower(term: term, leader: .none)
        }
        let me = id
        guard !options.mutations.contains(.checkQuorumNeverResets) else { return }
        tracker.updateAll { peer, progress in
            if peer != me { progress.recentActive = false }
        }
    }

    private mutating func stepCandidate(_ m: Message) throws(RaftError) {
        var ownResponse: MessageType = role == .preCandidate ? .preVoteResponse : .voteResponse
        if options.mutations.contains(.countPreVotesAsVotes) && m.type == .preVoteResponse { ownResponse = m.type }
        switch m.type {
        case .propose:
            throw .proposalDropped
        case .readIndex:
            throw .readIndexDropped
        case .append:
            becomeFollower(term: m.term, leader: m.from)
            handleAppendEntries(m)
        case .heartbeat:
            becomeFollower(term: m.term, leader: m.from)
            handleHeartbeat(m)
        case .snapshot:
            becomeFollower(term: m.term, leader: m.from)
            handleSnapshot(m)
        case ownResponse:
            switch poll(m.from, granted: !m.reject) {
            case .won:
                if role == .preCandidate {
                    campaign(.election)
                } else {
                    becomeLeader()
                    bcastAppend()
                }
            case .lost:
                becomeFollower(term: term, leader: .none)
            case .pending:
                break
            }
        default:
            break
        }
    }

    private mutating func stepFollower(_ m: Message) throws(RaftError) {
        switch m.type {
        case .propose:
            guard leader != .none, !options.disableProposalForwarding else { throw .proposalDropped }
            var forwarded = m
            forwarded.to = leader
            send(forwarded)
        case .append:
            if !options.mutations.contains(.heartbeatKeepsElectionTimer) { electionElapsed = 0 }
            leader = m.from
            handleAppendEntries(m)
        case .heartbeat:
            if !options.mutations.contains(.heartbeatKeepsElectionTimer) { electionElapsed = 0 }
            leader = m.from
            handleHeartbeat(m)
        case .snapshot:
            electionElapsed = 0
            leader = m.from
            handleSnapshot(m)
        case .transferLeader, .readIndex:
            guard leader != .none else { throw m.type == .readIndex ? .readIndexDropped : .proposalDropped }
            var forwarded = m
            forwarded.to = leader
            send(forwarded)
        case .readIndexResponse:
            readStates.append(ReadState(index: m.index, requestContext: m.context))
        case .timeoutNow:
            // The leader hands over: campaign at once, past PreVote and leader stickiness.
            hup(transfer: true)
        default:
            break
        }
    }
}
