package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// The audit chain. Every event stores hash = SHA-256 (lowercase hex) of its
// canonical content, and prev_hash = the hash of the previous event of the
// same program in seq order ("" for a program's first chained event). The
// canonical content is, byte for byte:
//
//	"ingot-audit-v1\n"
//	then for each field, in this order:
//	  id, program_id, subject_id, type, actor, reason,
//	  changes (the JSON text exactly as stored in the column),
//	  created_at (Unix milliseconds in base-10 ASCII, "-" for negatives),
//	  prev_hash (hex text, "" for the first event)
//	its length in bytes as an 8-byte big-endian unsigned integer, then its
//	UTF-8 bytes.
//
// Length prefixes make the encoding injective: no two different events
// encode alike, whatever characters their fields hold.
//
// Each program's chain head (audit_heads: event count and last hash) is
// locked by every transaction that writes the program's events, so two
// transactions never chain onto the same previous event, and it lets verify
// notice deleted tail events. Events written before migration 0005 have NULL
// hashes; they form a legacy prefix that verify counts but cannot vouch for.

const auditTag = "ingot-audit-v1\n"

// eventHash is the hex SHA-256 of an event's canonical content.
func eventHash(id, programID, subjectID, typ, actor, reason, changes string, createdAt int64, prevHash string) string {
	h := sha256.New()
	h.Write([]byte(auditTag))
	var n [8]byte
	for _, f := range []string{id, programID, subjectID, typ, actor, reason, changes,
		strconv.FormatInt(createdAt, 10), prevHash} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// chainHead is a program's chain head as a transaction advances it.
type chainHead struct {
	n        int64
	lastHash string
}

// chainEvents locks the chain heads of the events' programs (in program id
// order, so two transactions cannot deadlock on them), links each event onto
// its program's previous one in slice order, and returns the INSERT arguments
// (eventCols' order, all events) and the advanced heads for saveHeads. The
// caller must insert the rows in slice order within the same transaction.
func (s *Store) chainEvents(ctx context.Context, tx *sql.Tx, evs []banking.Event) ([]any, map[banking.ProgramID]*chainHead, error) {
	heads := map[banking.ProgramID]*chainHead{}
	var pids []banking.ProgramID
	for i := range evs {
		if _, ok := heads[evs[i].ProgramID]; !ok {
			heads[evs[i].ProgramID] = nil
			pids = append(pids, evs[i].ProgramID)
		}
	}
	slices.Sort(pids)
	for _, pid := range pids {
		h, err := s.lockHead(ctx, tx, pid)
		if err != nil {
			return nil, nil, err
		}
		heads[pid] = h
	}
	args := make([]any, 0, 10*len(evs))
	for i := range evs {
		ev := &evs[i]
		changes, err := json.Marshal(ev.Changes)
		if err != nil {
			return nil, nil, fmt.Errorf("event changes: %w", err)
		}
		h := heads[ev.ProgramID]
		created := millis(ev.CreatedAt)
		hash := eventHash(string(ev.ID), string(ev.ProgramID), ev.SubjectID, string(ev.Type), ev.Actor, ev.Reason,
			string(changes), created, h.lastHash)
		args = append(args, ev.ID, ev.ProgramID, ev.SubjectID, ev.Type, ev.Actor, ev.Reason, string(changes), created,
			h.lastHash, hash)
		h.n++
		h.lastHash = hash
	}
	return args, heads, nil
}

// lockHead reads and locks a program's chain head, creating it for the
// program's first event. The row exists from then on, so the usual case is
// one statement.
func (s *Store) lockHead(ctx context.Context, tx *sql.Tx, pid banking.ProgramID) (*chainHead, error) {
	sel := `SELECT n, last_hash FROM audit_heads WHERE program_id = ?` + s.dialect.forUpdate
	h := &chainHead{}
	err := s.queryRow(ctx, tx, sel, pid).Scan(&h.n, &h.lastHash)
	if err != sql.ErrNoRows {
		return h, err
	}
	// A concurrent transaction inserting the row too waits for ours and then
	// does nothing.
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO audit_heads (program_id, n, last_hash)
		VALUES (?, 0, '') ON CONFLICT (program_id) DO NOTHING`), pid); err != nil {
		return nil, err
	}
	return h, s.queryRow(ctx, tx, sel, pid).Scan(&h.n, &h.lastHash)
}

// saveHeads stores the heads chainEvents advanced.
func (s *Store) saveHeads(ctx context.Context, tx *sql.Tx, heads map[banking.ProgramID]*chainHead) error {
	for pid, h := range heads {
		if _, err := s.exec(ctx, tx, `UPDATE audit_heads SET n = ?, last_hash = ? WHERE program_id = ?`,
			h.n, h.lastHash, pid); err != nil {
			return err
		}
	}
	return nil
}

// AuditBreak is the first place an audit chain is broken.
type AuditBreak struct {
	ProgramID string
	// EventID is the event found broken; for a missing tail it is the last
	// event still present ("" when none is).
	EventID string
	Reason  string
}

func (b AuditBreak) String() string {
	if b.EventID == "" {
		return fmt.Sprintf("program %s: %s", b.ProgramID, b.Reason)
	}
	return fmt.Sprintf("event %s (program %s): %s", b.EventID, b.ProgramID, b.Reason)
}

// AuditReport is the outcome of VerifyAudit.
type AuditReport struct {
	Events   int // events checked, legacy ones included
	Programs int // programs checked
	Legacy   int // events from before the chain (NULL hash), not covered
	// Broken is the first broken place, nil when every chain is intact.
	Broken *AuditBreak
}

// Intact reports whether every chain verified.
func (r AuditReport) Intact() bool { return r.Broken == nil }

// Reasons a chain is reported broken.
const (
	BreakContent  = "content hash mismatch (the event was edited)"
	BreakPrevLink = "prev link broken (an earlier event was deleted, inserted or reordered)"
	BreakUnhashed = "event without a hash inside the chain"
	BreakNoHead   = "chained events but no chain head"
	BreakTail     = "missing tail: the chain head records more events than are stored"
	BreakHeadHash = "count mismatch: the event at the head's position does not carry the head's hash"
	BreakNoEvents = "program has no events (its program.created event was deleted)"
)

// VerifyAudit walks every program's chain in seq order and reports the first
// broken event, programs taken in id order. It needs no transaction: it reads
// programs, then heads, then each program's events, so whatever commits in
// between (a head and its events commit together) only adds programs that
// are not checked or extends a chain past its head, checked link by link.
func (s *Store) VerifyAudit(ctx context.Context) (AuditReport, error) {
	defer s.timed("verify_audit", time.Now())
	var rep AuditReport
	var programs []string
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM programs`)
	if err != nil {
		return rep, s.translate(err)
	}
	for rows.Next() {
		var pid string
		if err := rows.Scan(&pid); err != nil {
			rows.Close()
			return rep, s.translate(err)
		}
		programs = append(programs, pid)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, s.translate(err)
	}
	heads := map[string]chainHead{}
	rows, err = s.db.QueryContext(ctx, `SELECT program_id, n, last_hash FROM audit_heads`)
	if err != nil {
		return rep, s.translate(err)
	}
	for rows.Next() {
		var pid string
		var h chainHead
		if err := rows.Scan(&pid, &h.n, &h.lastHash); err != nil {
			rows.Close()
			return rep, s.translate(err)
		}
		heads[pid] = h
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, s.translate(err)
	}
	known := map[string]bool{}
	for _, pid := range programs {
		known[pid] = true
	}
	for pid := range heads {
		if !known[pid] {
			programs = append(programs, pid) // created after the programs were read
		}
	}
	slices.Sort(programs)
	for _, pid := range programs {
		rep.Programs++
		b, err := s.verifyProgram(ctx, pid, heads, &rep)
		if err != nil {
			return rep, err
		}
		if b != nil {
			rep.Broken = b
			return rep, nil
		}
	}
	return rep, nil
}

// verifyProgram checks one program's chain.
func (s *Store) verifyProgram(ctx context.Context, pid string, heads map[string]chainHead, rep *AuditReport) (*AuditBreak, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, subject_id, type, actor, reason, changes, created_at, prev_hash, hash
		FROM events WHERE program_id = ? ORDER BY seq`), pid)
	if err != nil {
		return nil, s.translate(err)
	}
	defer rows.Close()
	head, hasHead := heads[pid]
	var (
		events  int
		chained int64
		last    string // hash of the last chained event
		lastID  string
		atHead  string // hash of the head.n-th chained event
	)
	for rows.Next() {
		var id, subject, typ, actor, reason, changes string
		var created int64
		var prev, hash sql.NullString
		if err := rows.Scan(&id, &subject, &typ, &actor, &reason, &changes, &created, &prev, &hash); err != nil {
			return nil, s.translate(err)
		}
		events++
		rep.Events++
		brk := func(reason string) (*AuditBreak, error) {
			return &AuditBreak{ProgramID: pid, EventID: id, Reason: reason}, nil
		}
		if !hash.Valid {
			if chained > 0 {
				return brk(BreakUnhashed)
			}
			rep.Legacy++
			lastID = id
			continue
		}
		if !hasHead {
			return brk(BreakNoHead)
		}
		if prev.String != last {
			return brk(BreakPrevLink)
		}
		if eventHash(id, pid, subject, typ, actor, reason, changes, created, prev.String) != hash.String {
			return brk(BreakContent)
		}
		chained++
		last, lastID = hash.String, id
		if chained == head.n {
			atHead = last
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.translate(err)
	}
	switch {
	case events == 0 && !hasHead:
		return &AuditBreak{ProgramID: pid, Reason: BreakNoEvents}, nil
	case !hasHead:
		return nil, nil // legacy events only: written before the chain existed
	case chained < head.n:
		return &AuditBreak{ProgramID: pid, EventID: lastID,
			Reason: fmt.Sprintf("%s (head: %d, found %d after this event)", BreakTail, head.n, chained)}, nil
	case head.n > 0 && atHead != head.lastHash:
		return &AuditBreak{ProgramID: pid, EventID: lastID, Reason: BreakHeadHash}, nil
	case events == 0:
		return &AuditBreak{ProgramID: pid, Reason: BreakNoEvents}, nil
	}
	return nil, nil
}
