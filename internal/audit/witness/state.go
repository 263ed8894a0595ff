package witness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
)

// FileState keeps a witness's state in a JSON file, replaced atomically
// (written beside it, synced, renamed) before a cosignature is returned.
type FileState struct {
	path string
	mu   sync.Mutex
}

// NewFileState keeps state in path.
func NewFileState(path string) *FileState { return &FileState{path: path} }

type tree struct {
	Size uint64 `json:"size"`
	Root []byte `json:"root"`
}

func (f *FileState) load() (map[string]tree, error) {
	m := map[string]tree{}
	b, err := os.ReadFile(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	return m, json.Unmarshal(b, &m)
}

// Latest implements State.
func (f *FileState) Latest(_ context.Context, origin string) (uint64, []byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.load()
	if err != nil {
		return 0, nil, err
	}
	t := m[origin]
	return t.Size, t.Root, nil
}

// Update implements State.
func (f *FileState) Update(_ context.Context, origin string, oldSize uint64, oldRoot []byte, size uint64, root []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.load()
	if err != nil {
		return err
	}
	if t := m[origin]; t.Size != oldSize || !bytes.Equal(t.Root, oldRoot) {
		return &ConflictError{Size: t.Size}
	}
	m[origin] = tree{Size: size, Root: root}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), ".witness-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), f.path)
}
