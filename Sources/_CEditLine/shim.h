// BSD libedit through its readline-compatible header (not GNU readline's).
#pragma once
#include <stdio.h>
#include <editline/readline.h>
