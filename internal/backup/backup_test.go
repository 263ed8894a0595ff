package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dataDir makes a small data dir: a SQLite database with the two tables a
// snapshot reads, a key, evidence objects, a pending upload, a tmp file
// and an event log file.
func dataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBName)+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY, version_id INTEGER)`,
		`INSERT INTO goose_db_version (version_id) VALUES (0), (1), (7)`,
		`CREATE TABLE audit_log (seq INTEGER PRIMARY KEY, body TEXT)`,
		`INSERT INTO audit_log (body) VALUES ('a'), ('b'), ('c')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		KeyName:                          strings.Repeat("ab", 32) + "\n",
		"evidence/objects/01/01abc":      "sealed evidence bytes",
		"evidence/objects/02/02def":      strings.Repeat("x", 100000),
		"evidence/uploads/03ghi.part":    "half an upload",
		"evidence/tmp/01abc.123":         "never archived",
		"jetstream/jetstream/KUBU/1.blk": "event block",
	}
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o700)
		if err := os.WriteFile(full, []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func write(t *testing.T, o Options) ([]byte, Manifest) {
	t.Helper()
	var b bytes.Buffer
	m, err := Write(context.Background(), &b, o)
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), m
}

func TestRoundTrip(t *testing.T) {
	src := dataDir(t)
	key, _ := os.ReadFile(filepath.Join(src, KeyName))
	for _, tc := range []struct {
		name string
		o    Options
		pass []byte
	}{
		{"plain key, events", Options{Key: key, Events: true}, nil},
		{"wrapped key", Options{Key: key, Passphrase: []byte("correct horse battery")}, []byte("correct horse battery")},
		{"files only, no key", Options{FilesOnly: true}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.DataDir = src
			arch, m := write(t, tc.o)
			if (m.Database == "sqlite") == tc.o.FilesOnly || !tc.o.FilesOnly && (m.SchemaVersion != 7 || m.AuditEntries != 3) {
				t.Fatalf("manifest: %+v", m)
			}
			dst := filepath.Join(t.TempDir(), "restored")
			got, err := Restore(context.Background(), bytes.NewReader(arch), RestoreOptions{DataDir: dst, Passphrase: tc.pass})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Files) != len(m.Files) {
				t.Fatalf("restored manifest lists %d files, written %d", len(got.Files), len(m.Files))
			}
			want := []string{"evidence/objects/01/01abc", "evidence/objects/02/02def", "evidence/uploads/03ghi.part"}
			if tc.o.Events {
				want = append(want, "jetstream/jetstream/KUBU/1.blk")
			}
			if tc.o.Key != nil {
				want = append(want, KeyName)
			}
			for _, p := range want {
				a, _ := os.ReadFile(filepath.Join(src, p))
				b, err := os.ReadFile(filepath.Join(dst, p))
				if err != nil || !bytes.Equal(a, b) {
					t.Errorf("%s: restored %q (%v), want the source's", p, b, err)
				}
			}
			for _, p := range []string{"evidence/tmp/01abc.123", WrappedKeyName} {
				if _, err := os.Stat(filepath.Join(dst, p)); err == nil {
					t.Errorf("%s restored; it must not be", p)
				}
			}
			if !tc.o.Events {
				if _, err := os.Stat(filepath.Join(dst, EventsDir)); err == nil {
					t.Error("event log restored without --events")
				}
			}
			if !tc.o.FilesOnly {
				db, _ := sql.Open("sqlite", "file:"+filepath.Join(dst, DBName)+"?mode=ro")
				defer db.Close()
				var n int
				if err := db.QueryRow(`SELECT COUNT(*) FROM audit_log`).Scan(&n); err != nil || n != 3 {
					t.Fatalf("restored database: %d audit rows, %v", n, err)
				}
			}
			ents, _ := os.ReadDir(dst)
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), ".restore-") {
					t.Errorf("staging folder %s left behind", e.Name())
				}
			}
		})
	}
}

// rewrite rebuilds an archive, letting edit change each entry (return
// false to drop it).
func rewrite(t *testing.T, arch []byte, edit func(h *tar.Header, body []byte) ([]byte, bool), extra ...func(tw *tar.Writer)) []byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(arch))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out bytes.Buffer
	gw := gzip.NewWriter(&out)
	tw := tar.NewWriter(gw)
	for _, x := range extra {
		x(tw)
	}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		body, keep := edit(h, body)
		if !keep {
			continue
		}
		h.Size = int64(len(body))
		tw.WriteHeader(h)
		tw.Write(body)
	}
	tw.Close()
	gw.Close()
	return out.Bytes()
}

func TestRestoreRefuses(t *testing.T) {
	src := dataDir(t)
	key, _ := os.ReadFile(filepath.Join(src, KeyName))
	arch, _ := write(t, Options{DataDir: src, Key: key, Events: true})
	wrappedArch, _ := write(t, Options{DataDir: src, Key: key, Passphrase: []byte("correct horse battery")})
	keep := func(h *tar.Header, b []byte) ([]byte, bool) { return b, true }
	for _, tc := range []struct {
		name    string
		arch    []byte
		pass    []byte
		nonEmpy bool
		want    string
	}{
		{"a changed evidence object", rewrite(t, arch, func(h *tar.Header, b []byte) ([]byte, bool) {
			if h.Name == "evidence/objects/01/01abc" {
				b = append([]byte{}, b...)
				b[0] ^= 1
			}
			return b, true
		}), nil, false, "evidence/objects/01/01abc does not match the manifest"},
		{"a missing file", rewrite(t, arch, func(h *tar.Header, b []byte) ([]byte, bool) { return b, h.Name != "kubu.db" }), nil, false,
			"kubu.db is in the manifest but not in the archive"},
		{"an extra file", rewrite(t, arch, keep, func(tw *tar.Writer) {
			tw.WriteHeader(&tar.Header{Name: "evidence/objects/99/99zzz", Size: 1, Mode: 0o600, Typeflag: tar.TypeReg})
			tw.Write([]byte("z"))
		}), nil, false, "evidence/objects/99/99zzz is not in the manifest"},
		{"no manifest (cut short)", rewrite(t, arch, func(h *tar.Header, b []byte) ([]byte, bool) { return b, h.Name != ManifestName }), nil, false,
			"no manifest"},
		{"a path out of the data dir", rewrite(t, arch, keep, func(tw *tar.Writer) {
			tw.WriteHeader(&tar.Header{Name: "evidence/../../etc/passwd", Size: 1, Mode: 0o600, Typeflag: tar.TypeReg})
			tw.Write([]byte("z"))
		}), nil, false, "bad path"},
		{"a symlink", rewrite(t, arch, keep, func(tw *tar.Writer) {
			tw.WriteHeader(&tar.Header{Name: "evidence/objects/aa/link", Linkname: "/etc/passwd", Typeflag: tar.TypeSymlink})
		}), nil, false, "not a regular file"},
		{"not gzip", []byte("hello"), nil, false, "not a kubu backup"},
		{"a wrapped key without the passphrase", wrappedArch, nil, false, "give the passphrase"},
		{"a wrong passphrase", wrappedArch, []byte("wrong horse battery"), false, ErrPassphrase.Error()},
		{"a data dir that is not empty", arch, nil, true, ErrNotEmpty.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := t.TempDir()
			if tc.nonEmpy {
				os.WriteFile(filepath.Join(dst, "kubu.db"), []byte("live data"), 0o600)
			}
			_, err := Restore(context.Background(), bytes.NewReader(tc.arch), RestoreOptions{DataDir: dst, Passphrase: tc.pass})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one saying %q", err, tc.want)
			}
			ents, _ := os.ReadDir(dst)
			if tc.nonEmpy {
				if b, _ := os.ReadFile(filepath.Join(dst, "kubu.db")); string(b) != "live data" || len(ents) != 1 {
					t.Fatal("a refused restore touched the data dir")
				}
			} else if len(ents) != 0 {
				t.Fatalf("a refused restore left %d entries in the data dir", len(ents))
			}
		})
	}
}

func TestWriteWithoutDatabase(t *testing.T) {
	_, err := Write(context.Background(), io.Discard, Options{DataDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "no database to back up") {
		t.Fatalf("err %v", err)
	}
}

func TestWrapKey(t *testing.T) {
	key := []byte(strings.Repeat("cd", 32) + "\n")
	w, err := WrapKey(key, []byte("a long passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(w, key[:16]) {
		t.Fatal("the wrapped key shows the key")
	}
	got, err := UnwrapKey(w, []byte("a long passphrase"))
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("unwrap: %q %v", got, err)
	}
	if _, err := UnwrapKey(w, []byte("another passphrase")); !errors.Is(err, ErrPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := WrapKey(key, []byte("short")); err == nil {
		t.Fatal("a short passphrase was accepted")
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"format":"kubu-backup/1","created_at":"2026-01-01T00:00:00Z","kubu_version":"x","database":"","secret_key":"absent","events":false,"files":[]}`))
	f.Add([]byte(`{"format":"kubu-backup/1","created_at":"2026-01-01T00:00:00Z","kubu_version":"x","database":"sqlite","secret_key":"plain","events":false,` +
		`"files":[{"path":"kubu.db","size":1,"sha256":"` + strings.Repeat("0", 64) + `"},{"path":"secret.key","size":1,"sha256":"` + strings.Repeat("1", 64) + `"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err != nil {
			return
		}
		for _, file := range m.Files {
			if checkPath(file.Path) != nil {
				t.Fatalf("accepted path %q", file.Path)
			}
		}
	})
}

// FuzzRestore: whatever the archive, Restore either restores files whose
// every path is inside the data dir, or refuses and leaves it empty.
func FuzzRestore(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"))
	src := f.TempDir()
	os.MkdirAll(filepath.Join(src, "evidence", "objects", "01"), 0o700)
	os.WriteFile(filepath.Join(src, "evidence", "objects", "01", "01abc"), []byte("object"), 0o600)
	var real bytes.Buffer
	if _, err := Write(context.Background(), &real, Options{DataDir: src, FilesOnly: true, Key: []byte("k")}); err != nil {
		f.Fatal(err)
	}
	f.Add(real.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		parent := t.TempDir()
		dst := filepath.Join(parent, "data")
		_, err := Restore(context.Background(), bytes.NewReader(b), RestoreOptions{DataDir: dst})
		ents, _ := os.ReadDir(parent)
		if len(ents) != 1 {
			t.Fatalf("restore wrote beside the data dir: %v", ents)
		}
		if err != nil {
			if inside, _ := os.ReadDir(dst); len(inside) != 0 {
				t.Fatalf("a refused restore left %v", inside)
			}
		}
	})
}
