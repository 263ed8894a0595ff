package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kubu-gov/kubu/internal/audit/witness"
)

// Publisher sends signed checkpoints out of the installation, where someone
// holding its database cannot reach them: to archives (a plain POST of the
// signed note, text/plain) and to witnesses (C2SP tlog-witness
// add-checkpoint), each of which cosigns only a tree that extends the one it
// cosigned before.
type Publisher struct {
	Log       *Log
	Archives  []string // URLs that receive each signed note by POST
	Witnesses []string // witnesses' add-checkpoint URLs
	Client    *http.Client
	Timeout   time.Duration // per destination; 0 means 30 s
}

// PublishError lists the destinations that did not take a checkpoint.
type PublishError struct {
	TreeSize int64
	Failed   []error
}

func (e *PublishError) Error() string {
	return fmt.Sprintf("audit checkpoint of %d entries not published everywhere: %v", e.TreeSize, errors.Join(e.Failed...))
}

func (e *PublishError) Unwrap() []error { return e.Failed }

// Enabled says whether there is anywhere to publish to.
func (p *Publisher) Enabled() bool { return p != nil && len(p.Archives)+len(p.Witnesses) > 0 }

// Publish sends the checkpoint cp: it asks every witness to cosign, then
// posts the note with the cosignatures gathered to every archive. It answers
// the cosigned note and a *PublishError naming every destination that
// failed (the others still got it).
func (p *Publisher) Publish(ctx context.Context, cp Checkpoint) ([]byte, error) {
	note, err := p.Log.SignedNote(cp)
	if err != nil {
		return nil, err
	}
	client := p.Client
	if client == nil {
		client = http.DefaultClient
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	pe := &PublishError{TreeSize: cp.TreeSize}
	signed := note
	for _, u := range p.Witnesses {
		c, cancel := context.WithTimeout(ctx, timeout)
		cosig, err := p.Log.Cosign(c, client, u, cp, signed)
		cancel()
		if err != nil {
			pe.Failed = append(pe.Failed, err)
			continue
		}
		note = append(note, cosig...)
	}
	for _, u := range p.Archives {
		c, cancel := context.WithTimeout(ctx, timeout)
		err := PostNote(c, client, u, note)
		cancel()
		if err != nil {
			pe.Failed = append(pe.Failed, fmt.Errorf("archive %s: %w", u, err))
		}
	}
	if len(pe.Failed) > 0 {
		return note, pe
	}
	return note, nil
}

// PostNote posts a signed note (text/plain) to url; any 2xx answer is taken.
func PostNote(ctx context.Context, client *http.Client, url string, note []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(note))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return nil
}

// Cosign asks the witness at url to cosign the checkpoint cp (note is its
// signed note): first from size 0, and when the witness answers with the
// size it holds, again with the consistency proof from there. A witness
// holding a longer tree means this log was rolled back; one refusing the
// proof means it was rewritten.
func (l *Log) Cosign(ctx context.Context, client *http.Client, url string, cp Checkpoint, note []byte) ([]byte, error) {
	cosig, err := witness.Submit(ctx, client, url, 0, nil, note)
	var ce *witness.ConflictError
	if !errors.As(err, &ce) {
		if err != nil {
			return nil, fmt.Errorf("witness %s: %w", url, err)
		}
		return cosig, nil
	}
	if int64(ce.Size) > cp.TreeSize {
		return nil, fmt.Errorf("witness %s already cosigned a tree of %d entries and the log now has %d: the audit log was rolled back", url, ce.Size, cp.TreeSize)
	}
	proof, _, err := l.ConsistencyProof(ctx, int64(ce.Size), cp.TreeSize)
	if err != nil {
		return nil, err
	}
	cosig, err = witness.Submit(ctx, client, url, ce.Size, proof, note)
	if err != nil {
		return nil, fmt.Errorf("witness %s refused the checkpoint of %d entries (it cosigned %d before; the log may have been rewritten): %w", url, cp.TreeSize, ce.Size, err)
	}
	return cosig, nil
}
