package indicators

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/intel"
	"github.com/kubu-gov/kubu/internal/intel/misp"
	"github.com/kubu-gov/kubu/internal/intel/stix"
	"github.com/kubu-gov/kubu/internal/intel/taxii"
)

// SourceConfig is one feed kubu polls, from the --intel-sources file:
//
//	sources:
//	  - name: national-cert            # unique; shown with every indicator
//	    kind: taxii                    # taxii, misp, csv or freetext
//	    url: https://taxii.cert.example/api1/   # TAXII: the API root
//	    collection: 9ee8f1ee-…         # TAXII: the collection id
//	    username: kubu                 # HTTP Basic; the password from
//	    password_env: KUBU_CERT_TAXII_PASSWORD  # …an environment variable
//	    # password_file: /run/secrets/cert-taxii  (or a file)
//	    # token_env / token_file: a bearer token instead
//	    every: 15m                     # how often (default 1h, at least 1m)
//	  - name: circl-osint
//	    kind: misp
//	    url: https://www.circl.lu/doc/misp/feed-osint/  # the folder with manifest.json
//	    ttl: 720h                      # MISP, CSV, freetext: validity of each value
//	    all_attributes: false          # MISP: also attributes not marked to_ids
//	  - name: blocklist
//	    kind: freetext                 # or csv (columns: [1, 3])
//	    url: https://lists.example/ips.txt
//
// Secrets never appear in the file itself.
type SourceConfig struct {
	Name, Kind, URL, Collection string
	Username, Password, Token   string
	Every, TTL                  time.Duration
	Columns                     []int
	AllAttributes               bool
}

type sourceYAML struct {
	Name          string `yaml:"name"`
	Kind          string `yaml:"kind"`
	URL           string `yaml:"url"`
	Collection    string `yaml:"collection"`
	Username      string `yaml:"username"`
	PasswordEnv   string `yaml:"password_env"`
	PasswordFile  string `yaml:"password_file"`
	TokenEnv      string `yaml:"token_env"`
	TokenFile     string `yaml:"token_file"`
	Every         string `yaml:"every"`
	TTL           string `yaml:"ttl"`
	Columns       []int  `yaml:"columns"`
	AllAttributes bool   `yaml:"all_attributes"`
}

// PolledKinds are the kinds of polled sources.
var PolledKinds = []string{KindTAXII, KindMISP, KindCSV, KindFreetext}

// ParseSources reads the sources file (see SourceConfig), taking secrets
// from the environment (getenv) or files. Its errors name the source.
func ParseSources(r io.Reader, getenv func(string) string) ([]SourceConfig, error) {
	var doc struct {
		Sources []sourceYAML `yaml:"sources"`
	}
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("intel sources: %w", err)
	}
	var out []SourceConfig
	var errs []error
	seen := map[string]bool{}
	for i, y := range doc.Sources {
		name := strings.TrimSpace(y.Name)
		fail := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("intel source %d (%s): %s", i+1, name, fmt.Sprintf(format, args...)))
		}
		if err := checkSourceName(name); err != nil {
			fail("%v", err)
			continue
		}
		if seen[name] {
			fail("named twice")
			continue
		}
		seen[name] = true
		c := SourceConfig{Name: name, Kind: y.Kind, URL: y.URL, Collection: y.Collection, Username: y.Username, Columns: y.Columns,
			AllAttributes: y.AllAttributes, Every: time.Hour}
		if !slices.Contains(PolledKinds, c.Kind) {
			fail("kind must be one of %s", strings.Join(PolledKinds, ", "))
		}
		if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			fail("url must be an http(s) URL")
		}
		if c.Kind == KindTAXII && c.Collection == "" {
			fail("a TAXII source needs its collection id")
		}
		for _, d := range []struct {
			s   string
			dst *time.Duration
			min time.Duration
			nm  string
		}{{y.Every, &c.Every, time.Minute, "every"}, {y.TTL, &c.TTL, time.Minute, "ttl"}} {
			if d.s == "" {
				continue
			}
			v, err := time.ParseDuration(d.s)
			if err != nil || v < d.min {
				fail("%s must be a duration of at least %s", d.nm, d.min)
			}
			*d.dst = v
		}
		secret := func(env, file, what string) string {
			switch {
			case env != "" && file != "":
				fail("give %s_env or %s_file, not both", what, what)
			case env != "":
				v := getenv(env)
				if v == "" {
					fail("%s_env names %s, which is not set", what, env)
				}
				return v
			case file != "":
				b, err := os.ReadFile(file)
				if err != nil {
					fail("%s_file: %v", what, err)
				}
				return strings.TrimSpace(string(b))
			}
			return ""
		}
		c.Password = secret(y.PasswordEnv, y.PasswordFile, "password")
		c.Token = secret(y.TokenEnv, y.TokenFile, "token")
		out = append(out, c)
	}
	return out, errors.Join(errs...)
}

// configureSources records the configured sources (kind, URL,
// collection), auditing any change.
func (s *Service) configureSources(ctx context.Context) error {
	for _, c := range s.opts.Sources {
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			sid, err := s.ensureSource(ctx, tx, c.Name, c.Kind)
			if err != nil {
				return err
			}
			var kind, u, col string
			if err := tx.QueryRowContext(ctx, `SELECT kind, url, collection FROM intel_sources WHERE id = $1`, sid).Scan(&kind, &u, &col); err != nil {
				return err
			}
			if kind == c.Kind && u == c.URL && col == c.Collection {
				return nil
			}
			// A source that points elsewhere starts over.
			if _, err := tx.ExecContext(ctx, `UPDATE intel_sources SET kind = $1, url = $2, collection = $3, cursor = '', updated_at = $4 WHERE id = $5`,
				c.Kind, c.URL, c.Collection, s.now().UnixMilli(), sid); err != nil {
				return err
			}
			_, err = s.audit.Append(ctx, tx, audit.Entry{Code: SourceChanged, Actor: audit.System, TargetType: "intel_source", TargetID: sid,
				Before: map[string]any{"kind": kind, "url": u, "collection": col},
				After:  map[string]any{"kind": c.Kind, "url": c.URL, "collection": c.Collection}})
			return err
		})
		if err != nil {
			return fmt.Errorf("intel source %s: %w", c.Name, err)
		}
	}
	return nil
}

// pollClaim is how long a node holds a source while it polls it.
const pollClaim = 10 * time.Minute

// runPolls polls each configured source when it is due, one node at a
// time per source.
func (s *Service) runPolls(ctx context.Context) {
	if len(s.opts.Sources) == 0 {
		return
	}
	if err := s.configureSources(ctx); err != nil {
		s.log.Error("intel sources", "err", err)
		return
	}
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		for _, c := range s.opts.Sources {
			if ctx.Err() != nil {
				return
			}
			if _, err := s.PollDue(ctx, c); err != nil && ctx.Err() == nil {
				s.log.Warn("intel source poll", "source", c.Name, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PollDue polls the source if it is due and no other node is polling it;
// it reports whether it polled.
func (s *Service) PollDue(ctx context.Context, c SourceConfig) (bool, error) {
	var sid, cursor string
	claimed := false
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if sid, err = s.ensureSource(ctx, tx, c.Name, c.Kind); err != nil {
			return err
		}
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE intel_sources SET poll_claim = $1 WHERE id = $2 AND (poll_claim IS NULL OR poll_claim < $3)
			AND (last_poll_at IS NULL OR last_poll_at <= $4)`, now.Add(pollClaim).UnixMilli(), sid, now.UnixMilli(), now.Add(-c.Every).UnixMilli())
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		claimed = n == 1
		return tx.QueryRowContext(ctx, `SELECT cursor FROM intel_sources WHERE id = $1`, sid).Scan(&cursor)
	})
	if err != nil || !claimed {
		return false, err
	}
	res, next, pollErr := s.poll(ctx, c, cursor)
	if ctx.Err() != nil {
		return true, ctx.Err()
	}
	return true, s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now().UnixMilli()
		after := map[string]any{"source": c.Name}
		if pollErr != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE intel_sources SET poll_claim = NULL, last_poll_at = $1, last_error = $2 WHERE id = $3`,
				now, clip(pollErr.Error(), 2000), sid); err != nil {
				return err
			}
			after["error"] = pollErr.Error()
		} else {
			if _, err := tx.ExecContext(ctx, `UPDATE intel_sources SET poll_claim = NULL, last_poll_at = $1, last_ok_at = $1, last_error = '',
				cursor = $2 WHERE id = $3`, now, next, sid); err != nil {
				return err
			}
		}
		if res != nil {
			after["imported"], after["skipped"], after["errors"] = res.Imported, len(res.Skipped), len(res.Errors)
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: SourcePolled, Actor: audit.System, TargetType: "intel_source", TargetID: sid, After: after})
		return err
	})
}

// poll reads what the source added since cursor and stores it; it returns
// the next cursor.
func (s *Service) poll(ctx context.Context, c SourceConfig, cursor string) (*Result, string, error) {
	client := &http.Client{Timeout: 2 * time.Minute}
	header := http.Header{}
	switch {
	case c.Token != "":
		header.Set("Authorization", "Bearer "+c.Token)
	case c.Username != "" || c.Password != "":
		header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.Username+":"+c.Password)))
	}
	res := newResult()
	im := s.newImporter(ctx, audit.System, c.Name, c.Kind, res)
	switch c.Kind {
	case KindTAXII:
		tc := &taxii.Client{HTTP: client, Username: c.Username, Password: c.Password, Token: c.Token}
		var since time.Time
		if cursor != "" {
			since, _ = taxii.ParseTime(cursor)
		}
		next, err := tc.Poll(ctx, c.URL, c.Collection, since, func(envelope []byte, _ int) error {
			var storeErr error
			sr := stix.ReadIndicators(bytes.NewReader(envelope), stix.Options{Source: c.Name}, func(_ *stix.Indicator, inds []intel.Indicator) error {
				storeErr = im.add(inds)
				return storeErr
			})
			if storeErr != nil {
				return storeErr
			}
			for _, sk := range sr.Skipped {
				res.skip(sk.ID, sk.Reason)
			}
			for _, e := range sr.Errors {
				res.fail(e)
			}
			return nil
		})
		if ferr := im.finish(); err == nil {
			err = ferr
		}
		if next.IsZero() {
			return res, cursor, err
		}
		return res, taxii.FormatTime(next), err
	case KindMISP:
		var since time.Time
		if cursor != "" {
			since, _ = time.Parse(time.RFC3339Nano, cursor)
		}
		mr, newest, err := misp.ReadFeed(ctx, &misp.HTTPGetter{BaseURL: c.URL, Client: client, Header: header}, since,
			misp.Options{Source: c.Name, TTL: c.TTL, AllAttributes: c.AllAttributes}, func(_ *misp.Event, inds []intel.Indicator) error {
				return im.addAll(inds)
			})
		if ferr := im.finish(); err == nil {
			err = ferr
		}
		if mr != nil {
			mergeMISP(res, mr)
		}
		next := cursor
		if !newest.IsZero() {
			next = newest.UTC().Format(time.RFC3339Nano)
		}
		return res, next, err
	case KindCSV, KindFreetext:
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
		if err != nil {
			return nil, cursor, err
		}
		req.Header = header
		resp, err := client.Do(req)
		if err != nil {
			return nil, cursor, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, cursor, fmt.Errorf("GET %s: %s", c.URL, resp.Status)
		}
		r, err := s.importList(ctx, audit.System, c.Name, c.Kind, c.Kind, io.LimitReader(resp.Body, misp.MaxTextBytes), misp.CSVOptions{Columns: c.Columns}, c.TTL)
		return r, cursor, err
	}
	return nil, cursor, fmt.Errorf("unknown source kind %q", c.Kind)
}
