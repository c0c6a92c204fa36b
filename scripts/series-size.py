#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# The size of a part of the enabling series: lines changed (added or
# removed) as code, as comments (kernel-doc included) and blank, and the
# symbols it exports.
#
#   scripts/series-size.py PATCH...
#   e.g. scripts/series-size.py patches/6.12/00{17,18,19,20,21}-*.patch
import re
import sys


def count(paths):
    kinds = {'code': 0, 'comment': 0, 'blank': 0}
    exports = set()
    for path in paths:
        in_comment = {'+': False, '-': False}
        with open(path, errors='replace') as f:
            for line in f:
                if line.startswith(('+++', '---', '-- ')) or \
                   not line or line[0] not in '+-':
                    continue
                sign, text = line[0], line[1:].strip()
                m = re.match(r'EXPORT_SYMBOL[A-Z_]*\((\w+)', text)
                if m and sign == '+':
                    exports.add(m.group(1))
                if not text:
                    kinds['blank'] += 1
                elif in_comment[sign]:
                    kinds['comment'] += 1
                    in_comment[sign] = '*/' not in text
                elif text.startswith('/*'):
                    kinds['comment'] += 1
                    in_comment[sign] = '*/' not in text
                elif text.startswith(('//', '* ', '*/')) or text == '*':
                    kinds['comment'] += 1
                else:
                    kinds['code'] += 1
    return kinds, sorted(exports)


kinds, exports = count(sys.argv[1:])
print(f"{len(sys.argv) - 1} patches: code {kinds['code']}, "
      f"comments {kinds['comment']}, blank {kinds['blank']}; "
      f"{len(exports)} exports: {' '.join(exports) or 'none'}")
