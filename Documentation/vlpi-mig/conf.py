# SPDX-License-Identifier: GPL-2.0-only
#
# Sphinx's configuration for Documentation/vlpi-mig, whose index.rst is
# the root: scripts/docs.sh (make docs) builds it into build/docs/html.
# Sphinx's defaults otherwise: its default theme, and no extension, so
# that a build fetches nothing.

project = 'vlpi-mig'
root_doc = 'index'
