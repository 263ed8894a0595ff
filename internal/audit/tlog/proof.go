package tlog

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
)

// VerifyInclusion checks an RFC 9162 inclusion proof: that the leaf with
// hash leaf sits at index (0-based) in the tree of the given size and root.
func VerifyInclusion(index, size uint64, leaf []byte, p [][]byte, root []byte) error {
	return proof.VerifyInclusion(hasher, index, size, leaf, p, root)
}

// VerifyConsistency checks an RFC 9162 consistency proof: that the tree of
// size2 and root2 extends (contains unchanged) the tree of size1 and root1.
func VerifyConsistency(size1, size2 uint64, p [][]byte, root1, root2 []byte) error {
	return proof.VerifyConsistency(hasher, size1, size2, p, root1, root2)
}

// Prover builds RFC 9162 inclusion and consistency proofs for a tree of a
// fixed size from a single pass over its leaf hashes, in O(log n) memory per
// proof: ask for proofs first, then Add every leaf in order, then read the
// proofs.
type Prover struct {
	size   uint64
	added  uint64
	rng    *compact.Range
	needed map[compact.NodeID][]byte
	incl   map[uint64]proof.Nodes
	cons   map[uint64]proof.Nodes
	root   []byte
}

var rangeFactory = compact.RangeFactory{Hash: hasher.HashChildren}

// NewProver starts proofs for the tree of the given size.
func NewProver(size uint64) *Prover {
	return &Prover{size: size, rng: rangeFactory.NewEmptyRange(0), needed: map[compact.NodeID][]byte{},
		incl: map[uint64]proof.Nodes{}, cons: map[uint64]proof.Nodes{}}
}

// Size is the tree size the proofs are for.
func (p *Prover) Size() uint64 { return p.size }

// WantInclusion asks for the inclusion proof of the leaf at index.
func (p *Prover) WantInclusion(index uint64) error {
	if p.added > 0 {
		return errors.New("tlog: ask for proofs before adding leaves")
	}
	n, err := proof.Inclusion(index, p.size)
	if err != nil {
		return err
	}
	p.incl[index] = n
	p.need(n)
	return nil
}

// WantConsistency asks for the consistency proof from size1 to the
// prover's size.
func (p *Prover) WantConsistency(size1 uint64) error {
	if p.added > 0 {
		return errors.New("tlog: ask for proofs before adding leaves")
	}
	n, err := proof.Consistency(size1, p.size)
	if err != nil {
		return err
	}
	p.cons[size1] = n
	p.need(n)
	return nil
}

func (p *Prover) need(n proof.Nodes) {
	for _, id := range n.IDs {
		p.needed[id] = nil
	}
}

// Add feeds the next leaf hash.
func (p *Prover) Add(leaf []byte) error {
	if p.added >= p.size {
		return fmt.Errorf("tlog: more than %d leaves", p.size)
	}
	if err := p.rng.Append(leaf, p.visit); err != nil {
		return err
	}
	p.added++
	if p.added == p.size {
		root, err := p.rng.GetRootHash(nil)
		if err != nil {
			return err
		}
		p.root = root
	}
	return nil
}

func (p *Prover) visit(id compact.NodeID, hash []byte) {
	if _, ok := p.needed[id]; ok {
		p.needed[id] = bytes.Clone(hash)
	}
}

// Root is the root hash of the tree once every leaf was added.
func (p *Prover) Root() ([]byte, error) {
	if p.size == 0 {
		return EmptyRoot(), nil
	}
	if p.added != p.size {
		return nil, fmt.Errorf("tlog: %d of %d leaves added", p.added, p.size)
	}
	return p.root, nil
}

// Inclusion returns the inclusion proof asked for with WantInclusion.
func (p *Prover) Inclusion(index uint64) ([][]byte, error) {
	n, ok := p.incl[index]
	if !ok {
		return nil, fmt.Errorf("tlog: no inclusion proof was asked for leaf %d", index)
	}
	return p.build(n)
}

// Consistency returns the consistency proof asked for with WantConsistency.
func (p *Prover) Consistency(size1 uint64) ([][]byte, error) {
	n, ok := p.cons[size1]
	if !ok {
		return nil, fmt.Errorf("tlog: no consistency proof was asked from size %d", size1)
	}
	return p.build(n)
}

func (p *Prover) build(n proof.Nodes) ([][]byte, error) {
	if p.added != p.size {
		return nil, fmt.Errorf("tlog: %d of %d leaves added", p.added, p.size)
	}
	hs := make([][]byte, len(n.IDs))
	for i, id := range n.IDs {
		h := p.needed[id]
		if h == nil {
			return nil, fmt.Errorf("tlog: node %+v was never computed", id)
		}
		hs[i] = h
	}
	return n.Rehash(hs, hasher.HashChildren)
}
