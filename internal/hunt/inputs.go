package hunt

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Input kinds.
const (
	KindEVTX  = "evtx"
	KindJSON  = "json"  // one object, an array, or concatenated documents
	KindLines = "jsonl" // JSON Lines: one document per line
)

// Input is one file to hunt through.
type Input struct {
	Path string
	Kind string
	Size int64
}

// kindByExt gives the input kind of a file name, or "" when the
// extension is not one hunt reads.
func kindByExt(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".evtx":
		return KindEVTX
	case ".json":
		return KindJSON
	case ".jsonl", ".ndjson":
		return KindLines
	}
	return ""
}

// evtxMagic starts every EVTX file.
var evtxMagic = []byte("ElfFile\x00")

// sniffKind guesses the kind of a file named on the command line whose
// extension says nothing: EVTX by its signature, else JSON documents
// (which also reads JSON Lines).
func sniffKind(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return KindJSON // the read error is reported when the file is read
	}
	defer f.Close()
	head := make([]byte, len(evtxMagic))
	if _, err := io.ReadFull(f, head); err == nil && bytes.Equal(head, evtxMagic) {
		return KindEVTX
	}
	return KindJSON
}

// Discover expands the command line's inputs into files: a file is taken
// whatever its extension (an unknown one is sniffed), a folder is walked
// recursively for .evtx, .json, .jsonl and .ndjson files in lexical order.
// Paths that cannot be read are returned as failed FileResults so the
// caller can report them and go on.
func Discover(paths []string) ([]Input, []FileResult) {
	var ins []Input
	var bad []FileResult
	seen := map[string]bool{}
	add := func(p string, kind string, size int64) {
		key := p
		if abs, err := filepath.Abs(p); err == nil {
			key = abs
		}
		if !seen[key] {
			seen[key] = true
			ins = append(ins, Input{Path: p, Kind: kind, Size: size})
		}
	}
	for _, root := range paths {
		st, err := os.Stat(root)
		if err != nil {
			bad = append(bad, FileResult{Path: root, Err: errText(err)})
			continue
		}
		if !st.IsDir() {
			kind := kindByExt(root)
			if kind == "" {
				kind = sniffKind(root)
			}
			add(root, kind, st.Size())
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				bad = append(bad, FileResult{Path: p, Err: errText(err)})
				return nil
			}
			kind := kindByExt(p)
			if d.IsDir() || kind == "" {
				return nil
			}
			fi, err := os.Stat(p) // follows a symbolic link to a file
			if err != nil {
				bad = append(bad, FileResult{Path: p, Err: errText(err)})
				return nil
			}
			if fi.Mode().IsRegular() {
				add(p, kind, fi.Size())
			}
			return nil
		})
		if err != nil {
			bad = append(bad, FileResult{Path: root, Err: errText(err)})
		}
	}
	return ins, bad
}
