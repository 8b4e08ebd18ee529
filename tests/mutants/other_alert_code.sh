#!/bin/sh
# A DSP build whose alerts carry code N65 where N64 belongs: the reference's output edited
# with sed, so this mutant runs as a separate process and is not written in Python.
# Usage: sh other_alert_code.sh PYTHON   (scenario JSON on stdin)
"$1" -m reference_impl | sed 's#>N64<#>N65<#g'
