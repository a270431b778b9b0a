import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import './services.css';
import './invoice.css';

mount(App, { target: document.getElementById('app')! });
