package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// IdemOutcome is what a reservation of an idempotency key found.
type IdemOutcome int

// Reservation outcomes.
const (
	// IdemReserved: the key is now this request's; run the call and complete
	// or release the key.
	IdemReserved IdemOutcome = iota + 1
	// IdemReplay: the key holds a finished answer for the same request.
	IdemReplay
	// IdemMismatch: the key was used for another endpoint or body.
	IdemMismatch
	// IdemInFlight: the same request is still running under the key.
	IdemInFlight
)

// IdemRef names one reservation of a key: token distinguishes it from a later
// reservation of the same key (after a lease takeover or expiry).
type IdemRef struct {
	ProgramID banking.ProgramID
	Key       string
	Token     string
}

// IdemReservation is the result of ReserveIdempotency. Status and Body are set
// for IdemReplay; Ref for IdemReserved.
type IdemReservation struct {
	Outcome IdemOutcome
	Status  int
	Body    []byte
	Ref     IdemRef
}

// IdemRequest describes the request a key is reserved for.
type IdemRequest struct {
	ProgramID banking.ProgramID
	Key       string
	Endpoint  string
	Hash      string
	Now       time.Time
	// Lease is how long a reservation may stay in flight before another
	// request may take it over (its process is presumed dead).
	Lease time.Duration
	// TTL is how long a key is remembered; an older key is reused afresh.
	TTL time.Duration
}

// IdemFinish completes a reservation with the call's success answer inside
// the transaction that applies the change, so the answer is stored if and
// only if the change is.
type IdemFinish struct {
	Ref IdemRef
	// Now stamps completed_at.
	Now func() time.Time
	// Render returns the exact success body (status 200) for the answer of
	// the Work that carries it (Work.Run's value), whatever its type: the
	// stored answer is bytes, so the store knows nothing of any domain's
	// wire shape.
	Render func(answer any) ([]byte, error)
	// Body is set to what Render produced once the transaction committed.
	Body []byte
	// Claim, when set, means the key was not reserved beforehand: the Work
	// that carries the finish claims it, inserting the key with its answer
	// (Ref's token), so a fresh key costs one statement of the movement's
	// own transaction instead of a reservation of its own. When the key
	// already has a row (a replay, a mismatch, a request in flight, an
	// expired key), the Work fails with ErrIdemTaken, changing nothing,
	// and Taken is set: the caller then reserves the key as before
	// (ReserveIdempotency) to learn what it holds.
	Claim *IdemClaim
	// Taken is set when a claiming Work found the key already held.
	Taken bool
}

// IdemClaim is the request a claiming IdemFinish stores its answer for.
type IdemClaim struct {
	Endpoint string
	Hash     string
	// Created stamps created_at, from which the key's TTL runs: the time
	// the call started, as a reservation's is.
	Created time.Time
}

// ErrIdemTaken is the error of a Work whose IdemFinish claims a key that
// already has a row; the Work changed nothing.
var ErrIdemTaken = banking.Errorf(banking.CodeConflict, "the idempotency key is already held")

var errIdemLost = banking.Errorf(banking.CodeConflict, "the idempotency key was taken over by another request")

// ReserveIdempotency claims a key for a request, or reports what the key
// already holds, in a Work of the group committer (idemWork).
func (s *Store) ReserveIdempotency(ctx context.Context, r IdemRequest) (IdemReservation, error) {
	defer s.timed("idempotency_reserve", time.Now())
	var out IdemReservation
	err := s.idemWork(ctx, r.ProgramID, r.Key, func(tx *sql.Tx) error {
		out = IdemReservation{}
		now := millis(r.Now)
		for range 3 {
			token := newToken()
			res, err := tx.ExecContext(ctx, s.q(`INSERT INTO idempotency_keys
				(program_id, idem_key, endpoint, request_hash, token, status, created_at)
				VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT (program_id, idem_key) DO NOTHING`),
				r.ProgramID, r.Key, r.Endpoint, r.Hash, token, now)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				out = IdemReservation{Outcome: IdemReserved, Ref: IdemRef{r.ProgramID, r.Key, token}}
				return nil
			}
			var endpoint, hash string
			var status int
			var body []byte
			var created int64
			err = tx.QueryRowContext(ctx, s.q(`SELECT endpoint, request_hash, status, response_body, created_at
				FROM idempotency_keys WHERE program_id = ? AND idem_key = ?`+s.dialect.forUpdate),
				r.ProgramID, r.Key).Scan(&endpoint, &hash, &status, &body, &created)
			if err == sql.ErrNoRows {
				continue // deleted (released or pruned) since the insert: try again
			}
			if err != nil {
				return err
			}
			age := time.Duration(now-created) * time.Millisecond
			takeOver := false
			switch {
			case age >= r.TTL:
				takeOver = true // expired: the key is new again
			case endpoint != r.Endpoint || hash != r.Hash:
				out.Outcome = IdemMismatch
				return nil
			case status == 0 && age < r.Lease:
				out.Outcome = IdemInFlight
				return nil
			case status == 0:
				takeOver = true // the request holding it is presumed dead
			default:
				out = IdemReservation{Outcome: IdemReplay, Status: status, Body: body}
				return nil
			}
			if takeOver {
				_, err := tx.ExecContext(ctx, s.q(`UPDATE idempotency_keys SET endpoint = ?, request_hash = ?,
					token = ?, status = 0, response_body = NULL, created_at = ?, completed_at = NULL
					WHERE program_id = ? AND idem_key = ?`),
					r.Endpoint, r.Hash, token, now, r.ProgramID, r.Key)
				if err != nil {
					return err
				}
				out = IdemReservation{Outcome: IdemReserved, Ref: IdemRef{r.ProgramID, r.Key, token}}
				return nil
			}
		}
		out.Outcome = IdemInFlight
		return nil
	})
	return out, err
}

// idemWork runs fn, a step of one key's life (reserve, complete, release),
// as a Work of the group committer under the key's lock, so that these
// steps share their commit (an fsync on both engines) with the group's
// other work instead of paying one each: a movement, which requires a key,
// paid one commit for its reservation alone and one for its change. The
// lock orders the key's row among the group's other locks on PostgreSQL
// (groups reserving the same two keys in opposite orders would otherwise
// wait on each other's uncommitted inserts); a Work carrying an IdemFinish
// takes it too (lockIDs).
func (s *Store) idemWork(ctx context.Context, pid banking.ProgramID, key string, fn func(tx *sql.Tx) error) error {
	_, err := s.Do(ctx, Work{Program: pid, Locks: []string{idemLock(key)}, Run: func(ctx context.Context, tx *Tx) (any, error) {
		return nil, fn(tx.tx)
	}})
	return err
}

// idemLock is the lock key of an idempotency key.
func idemLock(key string) string { return LockKey("idem", key) }

// CompleteIdempotency stores a final answer that changed nothing (a domain
// error), committed before it returns. A reservation that is no longer ref's is left
// alone.
func (s *Store) CompleteIdempotency(ctx context.Context, ref IdemRef, status int, body []byte, at time.Time) error {
	defer s.timed("idempotency_complete", time.Now())
	return s.idemWork(ctx, ref.ProgramID, ref.Key, func(tx *sql.Tx) error {
		_, err := s.completeIdem(ctx, tx, ref, status, body, at)
		return err
	})
}

// ReleaseIdempotency deletes a reservation whose call failed unexpectedly, so
// the client may retry under the same key.
func (s *Store) ReleaseIdempotency(ctx context.Context, ref IdemRef) error {
	defer s.timed("idempotency_release", time.Now())
	return s.idemWork(ctx, ref.ProgramID, ref.Key, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM idempotency_keys
			WHERE program_id = ? AND idem_key = ? AND token = ? AND status = 0`), ref.ProgramID, ref.Key, ref.Token)
		return err
	})
}

// pruneBatch bounds one prune statement, so pruning never holds the write
// lock for long.
const pruneBatch = 1000

// PruneIdempotency deletes keys created before cutoff, in batches, and
// returns how many it deleted.
func (s *Store) PruneIdempotency(ctx context.Context, cutoff time.Time) (int64, error) {
	defer s.timed("idempotency_prune", time.Now())
	var total int64
	for range 100 {
		var n int64
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			// created_at is tested again outside the subquery: on
			// PostgreSQL a row renewed by a concurrent reservation after the
			// subquery saw it is re-checked against that condition (and
			// kept), where the key list alone would still match it.
			res, err := tx.ExecContext(ctx, s.q(`DELETE FROM idempotency_keys WHERE created_at < ? AND (program_id, idem_key) IN
				(SELECT program_id, idem_key FROM idempotency_keys WHERE created_at < ? LIMIT ?)`),
				millis(cutoff), millis(cutoff), pruneBatch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < pruneBatch {
			break
		}
	}
	return total, nil
}

// IdemRecord is a stored key, for tests and tools.
type IdemRecord struct {
	Endpoint    string
	Hash        string
	Status      int
	Body        []byte
	CreatedAt   time.Time
	CompletedAt time.Time
}

// Idempotency reads one stored key.
func (s *Store) Idempotency(ctx context.Context, pid banking.ProgramID, key string) (IdemRecord, error) {
	var r IdemRecord
	var created int64
	var completed sql.NullInt64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT endpoint, request_hash, status, response_body, created_at, completed_at
		FROM idempotency_keys WHERE program_id = ? AND idem_key = ?`), pid, key).
		Scan(&r.Endpoint, &r.Hash, &r.Status, &r.Body, &created, &completed)
	if err == sql.ErrNoRows {
		return r, banking.Errorf(banking.CodeNotFound, "idempotency key not found")
	}
	r.CreatedAt = fromMillis(created)
	if completed.Valid {
		r.CompletedAt = fromMillis(completed.Int64)
	}
	return r, s.translate(err)
}

// finishIdem completes f's reservation with the success answer for a work's
// answer v inside the work's transaction. It fails, rolling the change back,
// when the reservation is no longer f's.
func (s *Store) finishIdem(ctx context.Context, tx *sql.Tx, f *IdemFinish, v any) error {
	body, err := f.Render(v)
	if err != nil {
		return banking.Internal(err)
	}
	if f.Claim != nil {
		return s.claimIdem(ctx, tx, f, body)
	}
	ok, err := s.completeIdem(ctx, tx, f.Ref, 200, body, f.Now())
	if err != nil {
		return err
	}
	if !ok {
		return errIdemLost
	}
	f.Body = body
	return nil
}

// claimIdem inserts f's key with its success answer. Any row already there
// (whatever it holds: the TTL and lease rules are ReserveIdempotency's to
// apply) leaves the key as it is and fails the Work with ErrIdemTaken. On
// PostgreSQL the Work holds the key's lock (lockIDs), so no other
// transaction inserts it meanwhile.
func (s *Store) claimIdem(ctx context.Context, tx *sql.Tx, f *IdemFinish, body []byte) error {
	res, err := s.exec(ctx, tx, `INSERT INTO idempotency_keys
		(program_id, idem_key, endpoint, request_hash, token, status, response_body, created_at, completed_at)
		VALUES (?, ?, ?, ?, ?, 200, ?, ?, ?) ON CONFLICT (program_id, idem_key) DO NOTHING`,
		f.Ref.ProgramID, f.Ref.Key, f.Claim.Endpoint, f.Claim.Hash, f.Ref.Token, body,
		millis(f.Claim.Created), millis(f.Now()))
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		f.Taken = true
		return ErrIdemTaken
	}
	f.Body, f.Taken = body, false
	return nil
}

func (s *Store) completeIdem(ctx context.Context, tx *sql.Tx, ref IdemRef, status int, body []byte, at time.Time) (bool, error) {
	res, err := s.exec(ctx, tx, `UPDATE idempotency_keys SET status = ?, response_body = ?, completed_at = ?
		WHERE program_id = ? AND idem_key = ? AND token = ? AND status = 0`,
		status, body, millis(at), ref.ProgramID, ref.Key, ref.Token)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// NewIdemRef names a new claim of key (IdemFinish.Claim): a fresh token.
func NewIdemRef(pid banking.ProgramID, key string) IdemRef {
	return IdemRef{ProgramID: pid, Key: key, Token: newToken()}
}

func newToken() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b)
}
