"""Wegwijs: a Dutch-language chatbot for young people at risk of leaving school early."""
