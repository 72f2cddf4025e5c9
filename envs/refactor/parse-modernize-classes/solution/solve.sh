#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/parse.py b/parse.py
index 51a6953..cd95100 100644
--- a/parse.py
+++ b/parse.py
@@ -401,7 +401,7 @@ def extract_format(format, extra_types):
 PARSE_RE = re.compile(r"({{|}}|{[\w-]*(?:\.[\w-]+|\[[^]]+])*(?::[^}]+)?})")
 
 
-class Parser(object):
+class Parser:
     """Encapsulate a format string that may be used to parse other strings."""
 
     def __init__(self, format, extra_types=None, case_sensitive=False):
@@ -855,7 +855,7 @@ class Parser(object):
         return s
 
 
-class Result(object):
+class Result:
     """The result of a parse() or search().
 
     Fixed results may be looked up using `result[index]`.
@@ -883,7 +883,7 @@ class Result(object):
         return name in self.named
 
 
-class Match(object):
+class Match:
     """The result of a parse() or search() if no results are generated.
 
     This class is only used to expose internal used regex match objects
@@ -899,7 +899,7 @@ class Match(object):
         return self.parser.evaluate_result(self.match)
 
 
-class ResultIterator(object):
+class ResultIterator:
     """The result of a findall() operation.
 
     Each element is a Result instance.
@@ -926,8 +926,6 @@ class ResultIterator(object):
         else:
             return Match(self.parser, m)
 
-    # pre-py3k compat
-    next = __next__
 
 
 def parse(format, string, extra_types=None, evaluate_result=True, case_sensitive=False):
AGENTGYM_PATCH
