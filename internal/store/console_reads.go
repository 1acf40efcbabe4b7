package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// The operator console's reads (sandbox.md section 3) that the API has no
// call for. Each is one indexed query or a handful, so a page stays within
// its time budget at a million users (internal/console's BenchmarkPages).

// Program reads one program; an unknown one is not_found.
func (s *Store) Program(ctx context.Context, pid banking.ProgramID) (banking.Program, error) {
	defer s.timed("program", time.Now())
	p, err := scanProgram(s.queryRow(ctx, nil, `SELECT `+programCols+` FROM programs WHERE id = ?`, pid))
	if err == sql.ErrNoRows {
		return p, banking.Errorf(banking.CodeNotFound, "program not found")
	}
	return p, s.translate(err)
}

// ProgramStats are a program's counts for the console's programs page.
type ProgramStats struct {
	Users, PendingUsers           int
	Businesses, PendingBusinesses int
}

// ProgramStats returns every program's counts (programs with nothing are
// absent). User counts come from the counters kept with every write;
// business counts are counted (a program has far fewer businesses than
// users, see 0007_businesses.sql).
func (s *Store) ProgramStats(ctx context.Context) (map[banking.ProgramID]ProgramStats, error) {
	defer s.timed("program_stats", time.Now())
	out := map[banking.ProgramID]ProgramStats{}
	add := func(q string, fn func(st *ProgramStats, total, pending int)) error {
		rows, err := s.db.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var pid banking.ProgramID
			var total, pending int
			if err := rows.Scan(&pid, &total, &pending); err != nil {
				return err
			}
			st := out[pid]
			fn(&st, total, pending)
			out[pid] = st
		}
		return rows.Err()
	}
	err := add(`SELECT program_id, CAST(sum(n) AS BIGINT),
		CAST(sum(CASE WHEN kyc_status = 'pending' THEN n ELSE 0 END) AS BIGINT)
		FROM user_counts GROUP BY program_id`, func(st *ProgramStats, total, pending int) {
		st.Users, st.PendingUsers = total, pending
	})
	if err == nil {
		err = add(`SELECT program_id, count(*), CAST(sum(CASE WHEN kyb_status = 'pending' THEN 1 ELSE 0 END) AS BIGINT)
			FROM businesses GROUP BY program_id`, func(st *ProgramStats, total, pending int) {
			st.Businesses, st.PendingBusinesses = total, pending
		})
	}
	return out, s.translate(err)
}

// BusinessByID reads one business of a program by its id alone (the
// console names a business without its owning user); another program's is
// not_found.
func (s *Store) BusinessByID(ctx context.Context, pid banking.ProgramID, bid banking.BusinessID) (banking.Business, error) {
	defer s.timed("get_business_by_id", time.Now())
	b, err := scanBusiness(s.queryRow(ctx, nil, `SELECT `+businessCols+` FROM businesses WHERE program_id = ? AND id = ?`, pid, bid))
	if err == sql.ErrNoRows {
		return b, errBusinessNotFound
	}
	return b, s.translate(err)
}

// BusinessDocuments returns up to limit documents of a business, every
// owner's, oldest first.
func (s *Store) BusinessDocuments(ctx context.Context, pid banking.ProgramID, bid banking.BusinessID, limit int) ([]banking.Document, error) {
	defer s.timed("business_documents", time.Now())
	docs, err := queryDocuments(ctx, s.query, `WHERE program_id = ? AND business_id = ? ORDER BY seq LIMIT ?`, pid, bid, limit)
	return docs, s.translate(err)
}

// ReviewUsers returns one page of a program's users whose KYC waits for a
// human (kyc_status pending), oldest first, and how many there are. The
// literal 'pending' lets SQLite use the partial index users_kyc_review,
// which a bound parameter would not.
func (s *Store) ReviewUsers(ctx context.Context, pid banking.ProgramID, page, perPage int) ([]banking.User, int, error) {
	defer s.timed("review_users", time.Now())
	var total int
	if err := s.queryRow(ctx, nil, `SELECT COALESCE(SUM(n), 0) FROM user_counts WHERE program_id = ? AND kyc_status = 'pending'`,
		pid).Scan(&total); err != nil {
		return nil, 0, s.translate(err)
	}
	users, err := queryRows(ctx, s.query, `SELECT `+userCols+` FROM users WHERE program_id = ? AND kyc_status = 'pending'
		ORDER BY created_at, id LIMIT ? OFFSET ?`, scanUser, pid, perPage, (page-1)*perPage)
	return users, total, s.translate(err)
}

// ReviewBusinesses is ReviewUsers for businesses whose KYB is pending.
func (s *Store) ReviewBusinesses(ctx context.Context, pid banking.ProgramID, page, perPage int) ([]banking.Business, int, error) {
	defer s.timed("review_businesses", time.Now())
	var total int
	if err := s.queryRow(ctx, nil, `SELECT count(*) FROM businesses WHERE program_id = ? AND kyb_status = 'pending'`,
		pid).Scan(&total); err != nil {
		return nil, 0, s.translate(err)
	}
	bs, err := queryRows(ctx, s.query, `SELECT `+businessCols+` FROM businesses WHERE program_id = ? AND kyb_status = 'pending'
		ORDER BY created_at, id LIMIT ? OFFSET ?`, scanBusiness, pid, perPage, (page-1)*perPage)
	return bs, total, s.translate(err)
}

// TrailEvent is one event of a subject's audit trail with the outcome of
// its chain check.
type TrailEvent struct {
	banking.Event
	// Chained is false for an event written before the chain existed
	// (migration 0005): nothing vouches for it.
	Chained bool
	// Broken says why the event fails its check ("" when it passes): its
	// content no longer hashes to its stored hash (BreakContent), or its
	// prev_hash is not the hash of the program's event before it
	// (BreakPrevLink).
	Broken string
}

// SubjectTrail returns one page of a subject's audit trail, newest first,
// with the total, checking each event against the chain (audit.go): its
// content hash recomputed, and its link to the program's previous event.
// It vouches for the events shown, not for the whole chain ("ingot audit
// verify" walks that); the predecessor of each is found through the index
// events_program_seq, so the check costs one index probe per event.
func (s *Store) SubjectTrail(ctx context.Context, pid banking.ProgramID, subject string, page, perPage int) ([]TrailEvent, int, error) {
	defer s.timed("subject_trail", time.Now())
	var total int
	if err := s.queryRow(ctx, nil, `SELECT count(*) FROM events WHERE program_id = ? AND subject_id = ?`,
		pid, subject).Scan(&total); err != nil {
		return nil, 0, s.translate(err)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT e.id, e.subject_id, e.type, e.actor, e.reason, e.changes, e.created_at,
		e.prev_hash, e.hash,
		COALESCE((SELECT p.hash FROM events p WHERE p.program_id = e.program_id AND p.seq < e.seq
			ORDER BY p.seq DESC LIMIT 1), '')
		FROM events e WHERE e.program_id = ? AND e.subject_id = ? ORDER BY e.seq DESC LIMIT ? OFFSET ?`),
		pid, subject, perPage, (page-1)*perPage)
	if err != nil {
		return nil, 0, s.translate(err)
	}
	defer rows.Close()
	out := []TrailEvent{}
	for rows.Next() {
		var te TrailEvent
		var changes string
		var created int64
		var prev, hash sql.NullString
		var before string
		if err := rows.Scan(&te.ID, &te.SubjectID, &te.Type, &te.Actor, &te.Reason, &changes, &created,
			&prev, &hash, &before); err != nil {
			return nil, 0, s.translate(err)
		}
		te.ProgramID = pid
		te.CreatedAt = fromMillis(created)
		if err := json.Unmarshal([]byte(changes), &te.Changes); err != nil {
			return nil, 0, banking.Internal(fmt.Errorf("event %s changes: %w", te.ID, err))
		}
		te.Chained = hash.Valid
		switch {
		case !hash.Valid:
		case eventHash(string(te.ID), string(pid), te.SubjectID, string(te.Type), te.Actor, te.Reason,
			changes, created, prev.String) != hash.String:
			te.Broken = BreakContent
		case prev.String != before:
			te.Broken = BreakPrevLink
		}
		out = append(out, te)
	}
	return out, total, s.translate(rows.Err())
}
