# The two commands a newcomer needs: `make demo` and `make test`. Both install missing Debian
# packages first (scripts/install-deps.sh), so each works as the first command on a fresh machine.
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
PREFIX ?= /usr/local

.PHONY: all deps build test demo sanitize fuzz bench chaos format clean install

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The binary, reelq.1 and the bash and zsh completions under PREFIX (bin/, share/man/man1/,
# share/bash-completion/completions/, share/zsh/site-functions/). Builds only what it installs.
install: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target reelq reelq_docs
	cmake --install $(BUILD) --prefix $(PREFIX)

demo: build
	scripts/demo.sh $(BUILD)/reelq

# Unit tests with -Werror, AddressSanitizer and UndefinedBehaviorSanitizer (CI runs this too).
sanitize: deps
	cmake -S . -B $(ASAN_BUILD) -DREELQ_SANITIZE=ON -DREELQ_WERROR=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

# The crash suite's long form, polling mode then callback mode: 100 stops of a 60-job batch each
# (at a slower time scale, so the batch outlasts them: callbacks end a batch sooner than polls),
# a fresh seed (printed with the line that replays it). Each ends with its figures block; both
# run even if the first fails.
chaos: build
	@status=0; \
	python3 tests/chaos/chaos.py $(BUILD)/reelq . --mode poll --kills 100 --jobs 60 --scale 0.06 || status=1; \
	python3 tests/chaos/chaos.py $(BUILD)/reelq . --mode callback --kills 100 --jobs 60 --scale 0.1 || status=1; \
	exit $$status

# The fuzz targets of tests/fuzz under libFuzzer, ASan and UBSan (clang only), each for FUZZ_SECONDS
# (600: issue 11's 10 minutes; CI runs 30), then each one's figures. A crasher fails it and is named.
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DREELQ_FUZZ=ON -DREELQ_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_manifest fuzz_answer fuzz_callback
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build
	scripts/bench-enqueue $(BUILD)/reelq

format:
	clang-format -i $$(git ls-files 'src/*.cc' 'src/*.h' 'src/*.cpp' 'tests/*.cc' 'tests/*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
