module github.com/kubu-gov/kubu/bench/sigmabench

go 1.26.8

replace github.com/kubu-gov/kubu => ../..

require (
	github.com/alecthomas/participle v0.7.1 // indirect
	github.com/bradleyjkemp/sigma-go v0.6.6 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
