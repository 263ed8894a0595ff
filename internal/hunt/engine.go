package hunt

import (
	"bytes"

	"github.com/valyala/fastjson"

	"github.com/kubu-gov/kubu/internal/event"

	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubu-gov/kubu/internal/sigma"
)

// RunOptions configure Run.
type RunOptions struct {
	// Workers is the number of matching goroutines; 0 means GOMAXPROCS.
	Workers int
	// Counters, when set, is updated while Run works (for a progress bar).
	Counters *Counters
}

// Counters are live counts of a Run, safe to read while it works.
type Counters struct {
	Files      atomic.Int64 // input files found
	FilesDone  atomic.Int64
	Bytes      atomic.Int64 // total size of the input files
	BytesDone  atomic.Int64
	Records    atomic.Int64
	Detections atomic.Int64
}

// FileResult is what happened to one input file.
type FileResult struct {
	Path    string
	Kind    string
	Records int // records read and matched
	Failed  int // records that could not be read or decoded
	// Err says why the file could not be read, or where reading stopped.
	Err string
	// Warnings are the reader's complaints about damage (capped).
	Warnings        []string
	WarningsDropped int
}

// Result is the outcome of a Run.
type Result struct {
	// Detections is the timeline: every reported detection, sorted.
	Detections []Detection
	// Files lists every input file in order, unreadable ones included.
	Files         []FileResult
	Records       int
	RecordsFailed int
	Rules         *Rules
}

// FailedFiles counts the files that could not be read (entirely or in
// part).
func (r *Result) FailedFiles() int {
	n := 0
	for _, f := range r.Files {
		if f.Err != "" {
			n++
		}
	}
	return n
}

// batchRecords and batchBytes bound a batch of records handed from a
// reader to the matchers.
const (
	batchRecords = 256
	batchBytes   = 256 << 10
)

// recMeta locates one record in a batch's buffer.
type recMeta struct {
	no       uint64
	off, end int
	when     time.Time // the reader's time for the record (EVTX); zero for JSON
	flat     bool      // already the flat form (an EVTX record)
}

type batch struct {
	file int
	recs []recMeta
	buf  []byte
}

func (b *batch) full() bool { return len(b.recs) >= batchRecords || len(b.buf) >= batchBytes }

// fileState holds one file's counters, updated by its reader and by the
// matchers.
type fileState struct {
	records, failed atomic.Int64
}

// Run hunts through the inputs (files and folders) with the rules. Files
// are read concurrently, and records are matched on opts.Workers
// goroutines, one sigma.Matcher each. It returns an error only when ctx
// ends first.
func Run(ctx context.Context, rules *Rules, inputs []string, opts RunOptions) (*Result, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	cnt := opts.Counters
	if cnt == nil {
		cnt = &Counters{}
	}
	ins, bad := Discover(inputs)
	cnt.Files.Store(int64(len(ins)))
	for _, in := range ins {
		cnt.Bytes.Add(in.Size)
	}

	res := &Result{Rules: rules, Files: make([]FileResult, len(ins))}
	states := make([]fileState, len(ins))
	pool := newBatchPool(4 * workers)
	work := make(chan *batch, 2*workers)

	// readers: one goroutine per file being read, at most workers at once
	var readers sync.WaitGroup
	files := make(chan int)
	for range min(workers, max(len(ins), 1)) {
		readers.Go(func() {
			for i := range files {
				rd := &fileReader{ctx: ctx, idx: i, in: ins[i], state: &states[i], pool: pool, out: work, cnt: cnt}
				res.Files[i] = rd.read()
				cnt.FilesDone.Add(1)
			}
		})
	}

	// matchers
	keepAll := len(rules.Set.Correlations()) > 0
	found := make([][]Detection, workers)
	var matchers sync.WaitGroup
	for w := range workers {
		matchers.Go(func() {
			mw := newMatchWorker(rules, keepAll, cnt)
			for b := range work {
				mw.match(b, ins[b.file].Path, &states[b.file])
				pool.put(b)
			}
			found[w] = mw.found
		})
	}

feed:
	for i := range ins {
		select {
		case files <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(files)
	readers.Wait()
	close(work)
	matchers.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	for i := range res.Files {
		res.Files[i].Records = int(states[i].records.Load())
		res.Files[i].Failed += int(states[i].failed.Load())
		res.Records += res.Files[i].Records
		res.RecordsFailed += res.Files[i].Failed
	}
	for _, b := range bad {
		res.Files = append(res.Files, b)
	}

	var all []Detection
	for _, f := range found {
		all = append(all, f...)
	}
	sortTimeline(all)
	if keepAll {
		all = correlate(rules, all)
	}
	res.Detections = all
	cnt.Detections.Store(int64(len(all)))
	return res, nil
}

// matchWorker matches batches with its own Matcher and keeps detections.
type matchWorker struct {
	rules   *Rules
	m       *sigma.Matcher
	keepAll bool
	cnt     *Counters
	hits    []*sigma.Rule
	onHit   func(*sigma.Rule)
	norm    event.Normaliser
	times   fastjson.Parser
	found   []Detection
}

func newMatchWorker(rules *Rules, keepAll bool, cnt *Counters) *matchWorker {
	w := &matchWorker{rules: rules, m: rules.Set.NewMatcher(), keepAll: keepAll, cnt: cnt}
	w.onHit = func(r *sigma.Rule) {
		if w.keepAll || w.rules.report[r] {
			w.hits = append(w.hits, r)
		}
	}
	return w
}

func (w *matchWorker) match(b *batch, path string, st *fileState) {
	var records, failed int64
	for _, rm := range b.recs {
		raw := b.buf[rm.off:rm.end]
		if !rm.flat {
			// JSON documents take the shape live detection matches on
			// (evtx_dump and Winlogbeat/ECS Windows events become flat).
			obj, _, _, ok := w.norm.Document(raw)
			if !ok {
				failed++
				continue
			}
			raw = obj
		}
		w.hits = w.hits[:0]
		if err := w.m.MatchJSON(raw, w.onHit); err != nil {
			failed++
			continue
		}
		records++
		if len(w.hits) == 0 {
			continue
		}
		ev := bytes.Clone(raw)
		t := rm.when
		if v, err := w.times.ParseBytes(ev); err == nil {
			if et := event.Time(v); !et.IsZero() {
				t = et
			}
		}
		for _, r := range w.hits {
			w.found = append(w.found, Detection{Rule: r, Time: t, File: path, Record: rm.no, Event: ev})
			if w.rules.report[r] {
				w.cnt.Detections.Add(1)
			}
		}
	}
	st.records.Add(records)
	st.failed.Add(failed)
	w.cnt.Records.Add(records)
}

// batchPool recycles batches; it holds at most a fixed number so memory
// stays bounded.
type batchPool struct{ free chan *batch }

func newBatchPool(n int) *batchPool { return &batchPool{free: make(chan *batch, n)} }

func (p *batchPool) get(file int) *batch {
	select {
	case b := <-p.free:
		b.file = file
		return b
	default:
		return &batch{file: file, buf: make([]byte, 0, batchBytes+batchBytes/4)}
	}
}

func (p *batchPool) put(b *batch) {
	if cap(b.buf) > 4*batchBytes {
		return // one huge record: let it go
	}
	b.recs, b.buf = b.recs[:0], b.buf[:0]
	select {
	case p.free <- b:
	default:
	}
}
