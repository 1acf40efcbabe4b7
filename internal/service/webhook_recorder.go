package service

import (
	"context"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// webhookRecorder records delivery outcomes in batches: every outcome that
// arrives while a batch is being recorded goes into the next one, so under
// load one transaction records up to recordBatch attempts (in a few
// statements, store.WebhookOutcomesWork), and when idle an outcome is
// recorded at once. Workers hand outcomes over and go on; at most
// recordQueue wait, beyond which a worker waits for room.
type webhookRecorder struct {
	s    *Service
	in   chan pendingOutcome
	done chan struct{}
}

// Recorder limits: one batch's size (the statements' IN lists stay
// short), and how many outcomes may wait for their batch.
const (
	recordBatch = 128
	recordQueue = 1024
)

type pendingOutcome struct {
	o     store.WebhookOutcome
	j     *store.Job
	share *jobShare
	then  func(recorded bool, err error)
}

func newWebhookRecorder(s *Service) *webhookRecorder {
	r := &webhookRecorder{s: s, in: make(chan pendingOutcome, recordQueue), done: make(chan struct{})}
	go r.loop()
	return r
}

// submit hands o (j's outcome, one of share's) to the next batch; then
// runs once it is committed, with recorded false when j's lease was lost
// meanwhile (or an error, when the batch could not be committed: the
// leases run out and the attempts are made again). Every outcome of a held
// job, a skipped one included (Skipped: no attempt was needed), comes
// through here: the recorder counts them down in the order it records
// them, so the one that settles the job is recorded with or after every
// other.
func (r *webhookRecorder) submit(o store.WebhookOutcome, j *store.Job, share *jobShare, then func(recorded bool, err error)) {
	r.in <- pendingOutcome{o: o, j: j, share: share, then: then}
}

// close stops the loop once every outcome handed to it is recorded; no
// record call may start after it.
func (r *webhookRecorder) close() {
	close(r.in)
	<-r.done
}

func (r *webhookRecorder) loop() {
	defer close(r.done)
	for first := range r.in {
		batch := []pendingOutcome{first}
	more:
		for len(batch) < recordBatch {
			select {
			case p, ok := <-r.in:
				if !ok {
					break more
				}
				batch = append(batch, p)
			default:
				break more
			}
		}
		r.flush(batch)
	}
}

// flush records one batch. Its outcome must be recorded even when the
// service is closing: the attempts were made.
func (r *webhookRecorder) flush(batch []pendingOutcome) {
	var outs []store.WebhookOutcome
	var jobs []*store.Job
	var sent []pendingOutcome
	for _, p := range batch {
		last := p.share.done()
		if p.o.Skipped && !last {
			if p.j.Handed() {
				r.s.hooks.handedMoved(*p.j, -1)
			}
			p.then(true, nil) // nothing to record
			continue
		}
		o := p.o
		// The last outcome settles the job, unless an earlier batch that
		// failed left it to its lease's end (batches are recorded one
		// after another, so that is known here).
		o.KeepJob = !last || p.share.spoiled.Load()
		outs, jobs, sent = append(outs, o), append(jobs, p.j), append(sent, p)
	}
	if len(outs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	v, err := r.s.store.Do(ctx, store.WebhookOutcomesWork(outs, jobs))
	recorded, _ := v.([]bool)
	lost := map[banking.ProgramID][]string{} // handed attempts not recorded
	for i, p := range sent {
		ok := err == nil && i < len(recorded) && recorded[i]
		if !ok {
			p.share.spoiled.Store(true)
			if p.j.Handed() && p.o.EventID != "" {
				lost[p.j.Program] = append(lost[p.j.Program], p.o.EventID)
			}
		}
		p.then(ok, err)
	}
	// No lease brings a handed delivery back: a job row makes the attempt
	// again (its outcome is unknown, so the receiver may see it twice).
	for pid, ids := range lost {
		r.s.requeueHanded(pid, ids)
	}
	// Counted in flight until now: a clock advance that saw none could
	// otherwise pass before the retry job an outcome scheduled exists.
	for _, p := range sent {
		if p.j.Handed() {
			r.s.hooks.handedMoved(*p.j, -1)
		}
	}
}
