module github.com/berth-runtime/berth/tests/clients/tools

go 1.26.8
