package indicators

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/intel"
	"github.com/kubu-gov/kubu/internal/intel/misp"
	"github.com/kubu-gov/kubu/internal/intel/stix"
	"github.com/kubu-gov/kubu/internal/validate"
)

// MalformedError is input that is not of its format at all (nothing of
// it was read); the message says what is wrong.
type MalformedError struct{ Msg string }

func (e *MalformedError) Error() string { return e.Msg }

// Formats of ImportFile and the API.
const (
	FormatSTIX     = "stix"
	FormatMISP     = "misp" // one MISP event ({"Event":…})
	FormatCSV      = "csv"
	FormatFreetext = "freetext"
)

// Formats lists the formats.
var Formats = []string{FormatSTIX, FormatMISP, FormatCSV, FormatFreetext}

func (s *Service) checkImport(a authz.Actor, source string) error {
	if err := authz.Check(a, authz.IntelManage, authz.Collection()); err != nil {
		return err
	}
	if err := checkSourceName(source); err != nil {
		return validate.Errors{{Field: "source", Message: err.Error()}}
	}
	return nil
}

// ImportSTIX stores the indicators of a STIX 2.1 bundle read from r
// under the source. Indicators with patterns kubu cannot match are listed
// as skipped, objects that are not valid STIX as errors; a bundle that
// breaks off keeps what was read before. Input with nothing readable is a
// *MalformedError.
func (s *Service) ImportSTIX(ctx context.Context, a authz.Actor, source, kind string, r io.Reader) (*Result, error) {
	if err := s.checkImport(a, source); err != nil {
		return nil, err
	}
	return s.importSTIX(ctx, a.AuditActor(), source, kind, r)
}

func (s *Service) importSTIX(ctx context.Context, actor audit.Actor, source, kind string, r io.Reader) (*Result, error) {
	res := newResult()
	im := s.newImporter(ctx, actor, source, kind, res)
	var storeErr error
	sr := stix.ReadIndicators(r, stix.Options{Source: source}, func(_ *stix.Indicator, inds []intel.Indicator) error {
		storeErr = im.add(inds)
		return storeErr
	})
	if storeErr != nil {
		return nil, storeErr
	}
	if sr.Fatal != nil && sr.Objects == 0 {
		return nil, &MalformedError{Msg: "not a STIX 2.1 bundle: " + sr.Fatal.Error()}
	}
	if err := im.finish(); err != nil {
		return nil, err
	}
	for _, sk := range sr.Skipped {
		res.skip(sk.ID, sk.Reason)
	}
	for _, e := range sr.Errors {
		res.fail(e)
	}
	return res, nil
}

// ImportMISPEvent stores the indicators of one MISP event (the JSON of a
// feed's event file or of MISP's event export).
func (s *Service) ImportMISPEvent(ctx context.Context, a authz.Actor, source string, r io.Reader, opts misp.Options) (*Result, error) {
	if err := s.checkImport(a, source); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(r, misp.MaxEventBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > misp.MaxEventBytes {
		return nil, &MalformedError{Msg: fmt.Sprintf("a MISP event larger than %d bytes", misp.MaxEventBytes)}
	}
	ev, err := misp.ParseEvent(b)
	if err != nil {
		return nil, &MalformedError{Msg: "not a MISP event: " + err.Error()}
	}
	res := newResult()
	opts.Source = source
	mr := &misp.Result{}
	inds := misp.EventIndicators(ev, opts, mr)
	im := s.newImporter(ctx, a.AuditActor(), source, KindFile, res)
	if err := im.addAll(inds); err != nil {
		return nil, err
	}
	if err := im.finish(); err != nil {
		return nil, err
	}
	mergeMISP(res, mr)
	return res, nil
}

func mergeMISP(res *Result, mr *misp.Result) {
	for _, sk := range mr.Skipped {
		res.skip(sk.ID, sk.Reason)
	}
	for _, e := range mr.Errors {
		res.fail(e)
	}
}

// addAll queues indicators given flat, grouping those that share an id.
func (im *importer) addAll(inds []intel.Indicator) error {
	for i := 0; i < len(inds); {
		j := i + 1
		for j < len(inds) && inds[j].ID == inds[i].ID {
			j++
		}
		if err := im.add(inds[i:j]); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// ImportList stores the values of a CSV or freetext list (one value a
// line, '#' comments), valid for ttl from now (0: no end).
func (s *Service) ImportList(ctx context.Context, a authz.Actor, source, format string, r io.Reader, ttl time.Duration) (*Result, error) {
	if err := s.checkImport(a, source); err != nil {
		return nil, err
	}
	return s.importList(ctx, a.AuditActor(), source, KindFile, format, r, misp.CSVOptions{}, ttl)
}

func (s *Service) importList(ctx context.Context, actor audit.Actor, source, kind, format string, r io.Reader, copts misp.CSVOptions, ttl time.Duration) (*Result, error) {
	opts := misp.Options{Source: source, TTL: ttl, Now: s.now()}
	var inds []intel.Indicator
	var mr *misp.Result
	switch format {
	case FormatCSV:
		inds, mr = misp.ReadCSV(r, copts, opts)
	case FormatFreetext:
		inds, mr = misp.ReadFreetext(r, opts)
	default:
		return nil, fmt.Errorf("list format %q", format)
	}
	res := newResult()
	im := s.newImporter(ctx, actor, source, kind, res)
	if err := im.addAll(inds); err != nil {
		return nil, err
	}
	if err := im.finish(); err != nil {
		return nil, err
	}
	mergeMISP(res, mr)
	return res, nil
}

// SniffFormat guesses a file's format from its first bytes: a STIX
// bundle, a MISP event, else a list (CSV when its lines hold commas).
func SniffFormat(head []byte) string {
	t := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if bytes.HasPrefix(t, []byte("{")) {
		if bytes.Contains(head, []byte(`"Event"`)) {
			return FormatMISP
		}
		return FormatSTIX
	}
	sc := bufio.NewScanner(bytes.NewReader(t))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.Contains(line, ",") {
			return FormatCSV
		}
		return FormatFreetext
	}
	return FormatFreetext
}

// ImportFile imports r in the given format (see Formats) under source.
func (s *Service) ImportFile(ctx context.Context, a authz.Actor, source, format string, r io.Reader) (*Result, error) {
	switch format {
	case FormatSTIX:
		return s.ImportSTIX(ctx, a, source, KindFile, r)
	case FormatMISP:
		return s.ImportMISPEvent(ctx, a, source, r, misp.Options{})
	case FormatCSV, FormatFreetext:
		return s.ImportList(ctx, a, source, format, r, 0)
	}
	return nil, errors.New("format must be one of " + strings.Join(Formats, ", "))
}

// ImportMISPFeed stores every event of a MISP feed kept in a folder
// (manifest.json and the event files).
func (s *Service) ImportMISPFeed(ctx context.Context, a authz.Actor, source string, fsys fs.FS, opts misp.Options) (*Result, error) {
	if err := s.checkImport(a, source); err != nil {
		return nil, err
	}
	res := newResult()
	im := s.newImporter(ctx, a.AuditActor(), source, KindFile, res)
	opts.Source = source
	mr, _, err := misp.ReadFeed(ctx, misp.FSGetter{FS: fsys}, time.Time{}, opts, func(_ *misp.Event, inds []intel.Indicator) error {
		return im.addAll(inds)
	})
	if err != nil {
		return nil, &MalformedError{Msg: "not a MISP feed: " + err.Error()}
	}
	if err := im.finish(); err != nil {
		return nil, err
	}
	mergeMISP(res, mr)
	return res, nil
}

// ImportIndicators stores indicators given as values, under source (for
// bulk loads: other packages, benchmarks). Indicators sharing an ID must be
// adjacent.
func (s *Service) ImportIndicators(ctx context.Context, a authz.Actor, source string, inds []intel.Indicator) (*Result, error) {
	if err := s.checkImport(a, source); err != nil {
		return nil, err
	}
	res := newResult()
	im := s.newImporter(ctx, a.AuditActor(), source, KindFile, res)
	if err := im.addAll(inds); err != nil {
		return nil, err
	}
	if err := im.finish(); err != nil {
		return nil, err
	}
	return res, nil
}
