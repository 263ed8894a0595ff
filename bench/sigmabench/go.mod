module github.com/kubu-gov/kubu/bench/sigmabench

go 1.26.8

replace github.com/kubu-gov/kubu => ../..

require (
	github.com/bradleyjkemp/sigma-go v0.6.6
	github.com/kubu-gov/kubu v0.0.0-00010101000000-000000000000
)

require (
	github.com/BobuSumisu/aho-corasick v1.0.3 // indirect
	github.com/PaesslerAG/gval v1.0.0 // indirect
	github.com/PaesslerAG/jsonpath v0.1.1 // indirect
	github.com/alecthomas/participle v0.7.1 // indirect
	github.com/valyala/fastjson v1.6.10 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
