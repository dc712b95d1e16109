"""Streamlit pages, routed by explorer/app.py; ui/ holds the widgets they share."""
