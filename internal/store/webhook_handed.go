package store

import (
	"context"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// Handed deliveries: on SQLite, the first delivery of events this process
// wrote and handed over to its own delivery pool has no job row
// (Tx.InsertWebhookEvents, Job.Handed); the event row's handed mark is
// what survives the process. This file turns such deliveries back into
// ordinary job rows when the process cannot make or record them, or did
// not before it stopped.

// HandsOverWithoutJobs reports whether a first delivery handed over to its
// writer (Tx.InsertWebhookEvents' handoff) is written without a job row:
// on SQLite, whose one serving process owns every delivery; not on
// PostgreSQL, where another process takes a delivery over once its job's
// lease ends.
func (s *Store) HandsOverWithoutJobs() bool { return s.dialect.engine == SQLite }

// handedBatch caps the events one HandedToJobsWork converts at start.
const handedBatch = 5000

// HandedToJobsWork gives the events ids of program pid whose first delivery
// was handed over without a job row and is still to be made (pending and
// never attempted) delivery jobs, due at once, and clears their handed
// mark; events attempted or settled meanwhile are left alone. The Work
// answers, as an int, how many events it gave jobs. The pool uses it for a
// handed delivery it cannot make (its signing keys cannot be read, its
// queue is full) or whose outcome could not be recorded, and
// RecoverHandedDeliveries at start.
func HandedToJobsWork(pid banking.ProgramID, ids []string) Work {
	return Work{Program: pid, Run: func(ctx context.Context, tx *Tx) (any, error) {
		var found []string
		var created []time.Time
		for start := 0; start < len(ids); start += outboxRows {
			chunk := ids[start:min(len(ids), start+outboxRows)]
			args := make([]any, len(chunk))
			for i, id := range chunk {
				args[i] = id
			}
			in, args := inList(args)
			args = append(append([]any{pid}, args...), DeliveryPending)
			rows, err := tx.Query(ctx, `UPDATE webhook_events SET handed = 0
				WHERE program_id = ? AND id IN (`+in+`) AND handed = 1 AND status = ? AND attempts = 0
				RETURNING id, created_at`, args...)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var id string
				var at int64
				if err := rows.Scan(&id, &at); err != nil {
					rows.Close()
					return nil, err
				}
				found, created = append(found, id), append(created, fromMillis(at))
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return nil, err
			}
		}
		for start := 0; start < len(found); start += jobEvents {
			end := min(len(found), start+jobEvents)
			runAt := created[start]
			for _, at := range created[start:end] {
				if at.Before(runAt) {
					runAt = at
				}
			}
			tx.Schedule(NewJob{Program: pid, Kind: JobWebhookDelivery, Payload: webhookJobsPayload(found[start:end]),
				RunAt: runAt})
		}
		return len(found), nil
	}}
}

// RecoverHandedDeliveries gives job rows to the handed first deliveries
// (SQLite) a process that stopped left unmade or unrecorded: it reads every
// pending, never attempted event still marked handed, and converts them
// with HandedToJobsWork. Call it once at start, before this process hands
// any delivery over (the pool is not delivering yet, so every marked event
// is an earlier process's). It reports how many events it gave jobs; on
// PostgreSQL, which hands nothing over without a job row, it does nothing.
// The read scans webhook_events: the mark is not indexed, so that writing
// an event costs no index entry for it.
func (s *Store) RecoverHandedDeliveries(ctx context.Context) (int, error) {
	if s.dialect.engine != SQLite {
		return 0, nil
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT program_id, id FROM webhook_events
		WHERE handed = 1 AND status = ? AND attempts = 0 ORDER BY seq`), DeliveryPending)
	if err != nil {
		return 0, s.translate(err)
	}
	var pids []banking.ProgramID
	byProgram := map[banking.ProgramID][]string{}
	for rows.Next() {
		var pid banking.ProgramID
		var id string
		if err := rows.Scan(&pid, &id); err != nil {
			rows.Close()
			return 0, s.translate(err)
		}
		if _, ok := byProgram[pid]; !ok {
			pids = append(pids, pid)
		}
		byProgram[pid] = append(byProgram[pid], id)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return 0, s.translate(err)
	}
	total := 0
	for _, pid := range pids {
		ids := byProgram[pid]
		for start := 0; start < len(ids); start += handedBatch {
			v, err := s.Do(ctx, HandedToJobsWork(pid, ids[start:min(len(ids), start+handedBatch)]))
			if err != nil {
				return total, err
			}
			n, _ := v.(int)
			total += n
		}
	}
	return total, nil
}
